"""RTL simulation harnesses (next issue: RTL generation and simulation)."""
