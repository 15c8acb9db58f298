"""What the benchmark scripts share: finding and loading the acceptance kernels, copying
arguments, comparing results."""
import importlib.util
from pathlib import Path

import numpy as np

# ../shared/kernels beside the checkout
KERNELS_DIR = Path(__file__).resolve().parent.parent.parent / "shared" / "kernels"
# what the hardware does not build yet
RTL_SKIPPED_FEATURES = frozenset({"float"})


def kernels(folder, skipped_features, names=()):
    """(path, module) of every acceptance kernel in ``folder`` (not run.py, nor a private
    ``_*.py``) that needs none of ``skipped_features``; only those in ``names`` when given."""
    out = []
    for path in sorted(Path(folder).glob("*.py")):
        if path.name == "run.py" or path.name.startswith("_") or (names and path.stem not in names):
            continue
        module = load(path)
        if not set(getattr(module, "FEATURES", [])) & set(skipped_features):
            out.append((path, module))
    return out


def load(path):
    spec = importlib.util.spec_from_file_location(f"bench_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def copies(values):
    return [v.copy() if isinstance(v, np.ndarray) else v for v in values]


def same(a, b):
    if isinstance(a, tuple):
        return all(same(x, y) for x, y in zip(a, b))
    return np.array_equal(np.asarray(a), np.asarray(b))
