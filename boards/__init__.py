"""Board targets, bitstreams and flashing (later issue)."""
