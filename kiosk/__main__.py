"""``python -m kiosk``: the command line (the app once it exists, with no arguments)."""

import sys

from kiosk.cli import main

sys.exit(main())
