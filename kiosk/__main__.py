"""``python -m kiosk``: the command line; with no arguments, the kiosk app."""

import sys

from kiosk.cli import main

sys.exit(main(sys.argv[1:] or ["app"]))
