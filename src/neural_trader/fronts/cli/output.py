"""How the CLI talks: rich tables for people, one JSON document for scripts and agents.

With ``--json`` a command prints exactly one JSON document on stdout (its result, or
``{"error": ..., "message": ...}``) and nothing else there; progress and warnings go to stderr.
Errors exit with the code of their class in :mod:`neural_trader.core.errors`.
"""

from __future__ import annotations

import json
import math
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, NoReturn, TypeVar

import typer
from pydantic import BaseModel
from rich.console import Console
from rich.markup import escape

from neural_trader.core.errors import NeuralTraderError
from neural_trader.ops.logging import redact

__all__ = ["console", "err_console", "fail", "print_json", "run_command"]

console = Console(highlight=False)
err_console = Console(stderr=True, highlight=False)
T = TypeVar("T")


def _jsonable(value: Any) -> Any:
    """JSON-ready values; NaN and infinities become null (JSON has no spelling for them)."""
    if isinstance(value, BaseModel):
        return _jsonable(value.model_dump(mode="json"))
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    return value


def print_json(value: Any) -> None:
    sys.stdout.write(json.dumps(_jsonable(value), indent=2, allow_nan=False, default=str) + "\n")
    sys.stdout.flush()


def fail(error: NeuralTraderError, as_json: bool) -> NoReturn:
    if as_json:
        payload = error.to_dict()
        payload["message"] = redact(payload["message"])
        print_json(payload)
    else:
        err_console.print(f"[bold red]error:[/] {escape(redact(error.message))}")
        if error.hint:
            err_console.print(f"[yellow]hint:[/] {escape(redact(error.hint))}")
    raise typer.Exit(error.exit_code)


@contextmanager
def _errors(as_json: bool) -> Iterator[None]:
    try:
        yield
    except NeuralTraderError as exc:
        fail(exc, as_json)
    except KeyboardInterrupt:
        err_console.print("interrupted")
        raise typer.Exit(130) from None


def run_command(
    as_json: bool,
    call: Callable[[], T],
    render: Callable[[T], None],
    status: str | None = None,
) -> T:
    """Run a service call, then print its result as JSON or through ``render``.

    ``status`` shows a spinner on stderr while the call runs (people only: never with --json,
    and rich draws nothing when stderr is not a terminal).
    """
    with _errors(as_json):
        if status and not as_json:
            with err_console.status(status):
                result = call()
        else:
            result = call()
    if as_json:
        print_json(result)
    else:
        render(result)
    return result
