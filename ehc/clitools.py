"""Small helpers every package's CLI uses: JSON output, error exits with the kit's codes, and the
one option convention (group options accepted after the subcommand, deprecated spellings)."""

from __future__ import annotations

import copy
import functools
import json
import sys
from collections.abc import Callable
from typing import Any, NoReturn, TypeVar

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


# ------------------------------------------------------------------ one option convention (issue #17)
# docs/cli.md states the convention; tests/core/test_cli_conventions.py walks the command tree.

_UNSET = (click.core.ParameterSource.DEFAULT, click.core.ParameterSource.DEFAULT_MAP, None)


class SharedOptionsGroup(click.Group):
    """A group whose own options are accepted after its subcommand too.

    ``ehc node client --target X get`` and ``ehc node client get --target X`` mean the same: every
    subcommand gets a copy of the group's options, and the group's callback runs once, just before
    the subcommand's, with the merged values (the spelling after the subcommand wins)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # run later, from the subcommand, when the options typed after it are known
        self.deferred_callback, self.callback = self.callback, None

    def shared_params(self) -> list[click.Option]:
        return [p for p in self.params if isinstance(p, click.Option)]

    def add_command(self, cmd: click.Command, name: str | None = None) -> None:
        super().add_command(cmd, name)
        shared = self.shared_params()
        names = [p.name for p in shared]
        have = {p.name for p in cmd.params}
        cmd.params.extend(copy.copy(p) for p in shared if p.name not in have)
        inner, group = cmd.callback, self

        def merged_callback(*args: Any, **kwargs: Any) -> Any:
            ctx = click.get_current_context()
            parent = ctx.parent
            assert parent is not None
            values = dict(parent.params)
            for n in names:
                value = kwargs.pop(n, None)
                if ctx.get_parameter_source(n) not in _UNSET:  # typed after the subcommand
                    values[n] = value
            parent.params.update(values)
            if group.deferred_callback is not None:
                parent.invoke(group.deferred_callback, **values)
                if ctx.obj is None:  # what click gives a subcommand when the group runs first
                    ctx.obj = parent.obj
            return inner(*args, **kwargs) if inner is not None else None

        cmd.callback = functools.update_wrapper(merged_callback, inner) if inner else merged_callback


C = TypeVar("C", bound=click.Command)


def deprecated_alias(old: str, new: str) -> Callable[[C], C]:
    """Keep ``old`` as a hidden spelling of a command's option ``new``: it still works and prints a
    one-line notice on stderr. Put it above the ``@group.command(...)`` decorator."""

    def decorate(cmd: C) -> C:
        target = next(p for p in cmd.params if isinstance(p, click.Option) and new in p.opts)

        def forward(ctx: click.Context, param: click.Parameter, value: Any) -> None:
            if ctx.get_parameter_source(param.name or "") in _UNSET or ctx.resilient_parsing:
                return
            click.echo(f"ehc: {old} is deprecated, use {new}", err=True)
            # the target reads it as a default when it was not typed itself (so `required` holds)
            ctx.default_map = {**(ctx.default_map or {}), str(target.name): value}

        dest = "deprecated_" + old.lstrip("-").replace("-", "_")
        if target.is_flag:
            alias = click.Option([old, dest], is_flag=True, hidden=True, expose_value=False, callback=forward)
        else:
            alias = click.Option(
                [old, dest], type=target.type, multiple=target.multiple, hidden=True,
                expose_value=False, callback=forward,
            )  # fmt: skip
        alias.deprecated_alias_of = new  # type: ignore[attr-defined]  # read by the convention test
        cmd.params.append(alias)
        return cmd

    return decorate


def json_option(help: str = "print the record as JSON (indented at a terminal); errors as JSON too") -> Any:
    """The kit's one ``--json`` flag (parameter ``as_json``)."""
    return click.option("--json", "as_json", is_flag=True, help=help)


def always_json_option() -> Any:
    """``--json`` on a command whose output is JSON already: accepted (and ignored) so that every
    command printing a record takes ``--json``."""
    return click.option(
        "--json", "as_json", is_flag=True, expose_value=False, help="JSON (always; indented at a terminal)"
    )


# ------------------------------------------------------------------ help text without markup (issue #17)
def plain(text: str) -> str:
    """``x`` and `x` (reStructuredText / Markdown quoting in docstrings) as x; also a lone quote left
    where click cut a short help."""
    return text.replace("`", "")


class PlainHelpFormatter(click.HelpFormatter):
    """Help output without the docstrings' quoting backticks (docstrings stay reStructuredText)."""

    def write_text(self, text: str) -> None:
        super().write_text(plain(text))

    def write_dl(self, rows: Any, col_max: int = 30, col_spacing: int = 2) -> None:
        super().write_dl([(plain(a), plain(b)) for a, b in rows], col_max, col_spacing)


class PlainHelpContext(click.Context):
    formatter_class = PlainHelpFormatter


def plain_help(cmd: click.Command) -> click.Command:
    """Give ``cmd`` and every command below it help without markup."""
    cmd.context_class = PlainHelpContext
    if isinstance(cmd, click.Group):
        for sub in cmd.commands.values():
            plain_help(sub)
    return cmd
