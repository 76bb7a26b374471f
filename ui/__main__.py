"""``python -m ui``: the kiosk application."""

import sys

from ui.app import main

sys.exit(main())
