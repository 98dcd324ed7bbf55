"""Order management: broker contract, journal, order manager, reconciliation, paper broker
and live runner (docs/decisions/0012)."""
