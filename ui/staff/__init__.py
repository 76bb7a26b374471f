"""The staff console: PIN sign-in, review queue, settings and status."""
