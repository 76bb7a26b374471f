"""The bundle's entry point: ``python -m kiosk``, and ``-m ui`` for ``kiosk app``.

``kiosk app`` (the default with no arguments) replaces the process with
``sys.executable -m ui ...``. In the bundle ``sys.executable`` is this program,
so ``-m ui`` is taken here; no other module can be run that way.
"""

from __future__ import annotations

import runpy
import sys


def main() -> None:
    if sys.argv[1:3] == ["-m", "ui"]:
        del sys.argv[1:3]
        runpy.run_module("ui", run_name="__main__")
    else:
        runpy.run_module("kiosk", run_name="__main__")


if __name__ == "__main__":
    main()
