"""Runtime hook: the synthetic ID card's fonts come from the bundle when the host lacks them.

pipeline.synthetic.documents names the Debian font paths. When such a path is
missing, Pillow looks for the same file name under ``<dir>/fonts`` for each
directory in ``XDG_DATA_DIRS``; the bundle keeps the fonts in ``fonts/``.
"""

import os
import sys

_data_dirs = os.environ.get("XDG_DATA_DIRS") or "/usr/local/share:/usr/share"
os.environ["XDG_DATA_DIRS"] = os.pathsep.join([sys._MEIPASS, _data_dirs])  # type: ignore[attr-defined]
