"""Amaranth hardware from the plan: datapaths of blocks and pipelines, the controller, memories
and arithmetic units, the error status, and the ``wiring.Component`` of each function."""
