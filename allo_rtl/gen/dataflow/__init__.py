"""Dataflow regions in hardware: kernels running concurrently, streams as FIFOs."""
