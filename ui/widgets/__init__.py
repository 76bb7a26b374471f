"""Shared widgets: the camera view and its overlays, icons, the header."""
