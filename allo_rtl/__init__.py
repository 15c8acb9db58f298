"""allo-rtl: typed Python kernels and composable schedules, compiled straight to RTL.

    import allo_rtl as allo
    s = allo.customize(kernel)      # a Schedule over the kernel's IR
    mod = s.build()                 # the reference interpreter
"""
from . import types
from .errors import AlloError
from .frontend.markers import grid, meta_elif, meta_else, meta_for, meta_if, reduction
from .schedule import Partition, Schedule, customize

__all__ = ["AlloError", "Partition", "Schedule", "customize", "grid", "reduction", "meta_if",
           "meta_elif", "meta_else", "meta_for", "types"]
__version__ = "0.1.0"
