"""Cancellation asked for by a caller, as opposed to Ctrl-C.

Both are ``KeyboardInterrupt`` so that engines which stop cleanly on Ctrl-C (the optimiser's
grid and Bayesian searches, which return the configurations that finished) stop the same way
when a front cancels them. Some engines must tell the two apart, though: on Ctrl-C the
training loop keeps its best weights and the model is still registered, because the person at
the terminal chose to stop early; a cancelled request (an MCP client giving up) wants nothing
back, so the trainer lets :class:`CancelledByCaller` propagate and nothing is registered.
"""

from __future__ import annotations

__all__ = ["CancelledByCaller"]


class CancelledByCaller(KeyboardInterrupt):
    """Raised from a progress callback once the caller no longer wants the result."""
