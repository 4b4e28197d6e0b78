"""`python -m p2p`: see p2p/cli.py."""

import sys

from .cli import main

sys.exit(main())
