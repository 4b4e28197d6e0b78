"""`python -m emulator`: see `emulator/cli.py`."""

from .cli import main

raise SystemExit(main())
