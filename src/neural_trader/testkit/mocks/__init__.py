"""Local fakes of external services, for tests that must not reach the internet.

Each fake speaks the service's documented wire format on 127.0.0.1 (port 0), so an adapter is
exercised through its real client library and a real socket. Importing a fake imports that
adapter's optional dependencies; import the module you need
(``from neural_trader.testkit.mocks.alpaca_server import FakeAlpacaServer``).
"""
