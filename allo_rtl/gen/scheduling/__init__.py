"""When each operation runs: list scheduling of blocks, modulo scheduling of pipelines, the
controller's plan of regions and its latency, and the timing model of a target family."""
