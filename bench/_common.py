"""What the benchmark scripts share: loading an acceptance kernel module, copying arguments,
comparing results."""
import importlib.util

import numpy as np


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
