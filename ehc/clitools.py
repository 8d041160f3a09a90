"""Small helpers every package's CLI uses: JSON output and error exits with the kit's codes."""

from __future__ import annotations

import json
import sys
from typing import Any, NoReturn

import click

from ehc.errors import EhcError


def emit(data: Any, as_json: bool = True) -> None:
    """Print structured output: JSON (UTF-8, not ASCII-escaped; indented for a person at a terminal,
    one line for a pipe or a script) or ``key: value`` lines."""
    if as_json or not isinstance(data, dict):
        pretty = not as_json or sys.stdout.isatty()
        click.echo(json.dumps(data, ensure_ascii=False, indent=2 if pretty else None, default=str))
    else:
        for k, v in data.items():
            click.echo(f"{k}: {v}")


def fail(err: EhcError, as_json: bool = False, exit_code: int = 1) -> NoReturn:
    """Report an EhcError on stderr (code first, so scripts can grep it) and exit non-zero."""
    if as_json:
        click.echo(json.dumps({"error": err.to_dict()}, ensure_ascii=False), err=True)
    else:
        click.echo(f"{err.code.name} ({err.code.number}): {err.message}", err=True)
    sys.exit(exit_code)
