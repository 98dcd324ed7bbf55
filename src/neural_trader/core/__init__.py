"""The domain model: pure types, no I/O, no pandas. Every package may import ``core``."""
