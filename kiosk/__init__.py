"""The kiosk application core: CLI, cases, capture, store and sync (no widgets)."""
