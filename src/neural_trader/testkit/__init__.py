"""Ready-made instruments, identifiers and events for tests.

It is shipped with the package, not kept under ``tests/``, so that later packages' tests and
users' own strategy tests can build the very same objects the core tests use: an ``AAPL.NASDAQ``
equity, a ``BTC/USDT.BINANCE`` pair, an ``ESZ4.CME`` future, a fill. One definition means a
change to, say, the instrument model is made once here rather than in every test module that
spelled the instrument out, and two suites never drift apart on what "AAPL" means.

Nothing in :mod:`neural_trader` imports this package; it only builds public core objects.
The classes follow NautilusTrader's ``test_kit`` naming (``TestInstrumentProvider``,
``TestEventStubs``) and set ``__test__ = False`` so pytest does not try to collect them.
"""

from __future__ import annotations

from neural_trader.testkit.events import TestEventStubs
from neural_trader.testkit.identifiers import TestIdStubs
from neural_trader.testkit.instruments import TestInstrumentProvider

__all__ = ["TestEventStubs", "TestIdStubs", "TestInstrumentProvider"]
