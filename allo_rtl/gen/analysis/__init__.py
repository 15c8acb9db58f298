"""From scheduled IR to what hardware is built from: normalization (calls hoisted, arrays
filled, results named), unrolling, per-block dataflow graphs with run-time checks, where
each array lives, and the shapes of values."""
