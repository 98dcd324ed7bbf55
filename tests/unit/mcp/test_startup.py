"""Start-up stays light: building the server imports no engine (torch, numba kernels, TA-Lib,
pandas); tools import what they need when first called."""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = ["torch", "numba", "talib", "pandas", "duckdb", "scipy", "sqlalchemy", "optuna"]

PROBE = f"""
import json, sys, time
t0 = time.perf_counter()
from neural_trader.fronts.mcp.server import build_server
server = build_server()
seconds = time.perf_counter() - t0
print(json.dumps({{"seconds": seconds, "tools": len(server.toolset.tools),
                  "heavy": [m for m in {HEAVY!r} if m in sys.modules]}}))
"""


def test_build_server_imports_no_engine(nt_home: object) -> None:
    out = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, check=True, timeout=60
    )
    doc = json.loads(out.stdout.strip().splitlines()[-1])
    assert doc["heavy"] == []
    assert doc["tools"] == 45
    # The budget is 1.5 s; allow for a loaded CI machine (the benchmark reports it).
    assert doc["seconds"] < 5.0
