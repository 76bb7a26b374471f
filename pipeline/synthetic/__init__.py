"""Seeded synthetic data: rendered ID documents, degraded portraits, simulated attacks.

Used by the evaluations, the tests and the bundled demo; everything here is
generated in code from a seed, so it is ours to ship.
"""
