"""Adapters to external venues: each speaks one service's documented wire format at the edge
and hands broker-neutral reports and core objects inward.

Adapters import optional dependencies (``alpaca-py``, ``websockets``, ``msgpack``), so nothing
here is imported by the core; import the venue's subpackage (``neural_trader.adapters.alpaca``)
where it is used. Every adapter is tested against a local fake server on 127.0.0.1
(:mod:`neural_trader.testkit.mocks`), never the real service.
"""
