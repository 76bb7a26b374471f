"""PySide6 screens, the frame worker and the staff console (talks to ``kiosk`` only)."""
