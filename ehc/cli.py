"""`ehc` — the kit's command line. Composes the subcommand groups of every package.

Groups load lazily so `ehc id check` does not pay for importing gRPC or Locust. Nothing imports
this module: it sits above every package.
"""

from __future__ import annotations

import importlib
import sys

import click

from ehc.clitools import PlainHelpContext, plain_help

# name -> "module:attribute" of a click command or group; each package owns its own module.
COMMANDS: dict[str, str] = {
    "id": "ehc.id_cli:id_group",
    "errors": "ehc.id_cli:errors_command",
    "qr": "qr_codec.cli:qr",
    "fixtures": "fixtures.cli:fixtures",
    "card": "card_emulators.cli:card",
    "node": "reference_node.cli:node",
    "certify": "conformance_tests.cli:certify",
    "demo": "conformance_tests.demo:demo",
    "load": "load_tests.cli:load",
}


class LazyGroup(click.Group):
    context_class = PlainHelpContext

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        target = COMMANDS.get(name)
        if target is None:
            return None
        module, attr = target.split(":")
        try:
            # help without the docstrings' backticks (issue #17)
            return plain_help(getattr(importlib.import_module(module), attr))
        except (ImportError, AttributeError) as exc:
            reason = str(exc)

            # A package not built yet or an optional extra missing: say which, do not crash.
            @click.command(
                name, help=f"(unavailable: {reason})", context_settings={"ignore_unknown_options": True}
            )
            @click.argument("args", nargs=-1, type=click.UNPROCESSED)
            def unavailable(args: tuple[str, ...]) -> None:
                click.echo(f"ehc {name}: unavailable: {reason}", err=True)
                sys.exit(3)

            return unavailable


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="ehc-kit")
def main() -> None:
    """Electronic health card (电子健康卡) and resident health card (居民健康卡) kit:
    reference node, card emulators, QR codec, conformance suites and load tests."""


if __name__ == "__main__":
    main()
