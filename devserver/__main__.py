"""Entry point of `python -m devserver`."""

from devserver.cli import main

raise SystemExit(main())
