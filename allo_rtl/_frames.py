"""Finding the user's frame: the innermost one whose code lies outside this package."""
from __future__ import annotations

import inspect
import os

_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))
# In a source checkout, allo_rtl.sim and allo_rtl.boards live in the folders sim/ and boards/
# beside allo_rtl/ (setuptools package-dir); installed, they are inside allo_rtl/.
_PACKAGE_DIRS = tuple(os.path.join(d, "") for d in (
    _PACKAGE_DIR, os.path.join(os.path.dirname(_PACKAGE_DIR), "sim"),
    os.path.join(os.path.dirname(_PACKAGE_DIR), "boards")))


def user_frame():
    """The innermost frame outside allo_rtl (None if there is none); callers must drop it."""
    frame = inspect.currentframe()
    while frame is not None and os.path.abspath(frame.f_code.co_filename).startswith(_PACKAGE_DIRS):
        frame = frame.f_back
    return frame
