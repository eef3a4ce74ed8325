"""The command line: bare ``tuicrm`` opens the app; subcommands serve scripts and cron.

Subcommands that do not need the UI never import Textual (``tuicrm lookup`` stays fast).
"""

from __future__ import annotations

import importlib
import sys

import click

from tuicrm import __version__
from tuicrm.cli.common import EXIT_ERROR, cli_errors, common_options

# Each module registers its commands on ``main`` through ``register(main)``.
COMMAND_MODULES = [
    "tuicrm.cli.lookup",
    "tuicrm.cli.dbcmd",
    "tuicrm.cli.demo",
    "tuicrm.cli.plan",
    "tuicrm.cli.transfer",
    "tuicrm.cli.report",
    "tuicrm.cli.users",
]


@click.group(invoke_without_command=True, context_settings={"help_option_names": ["-h", "--help"]})
@common_options
@click.option("--demo", is_flag=True, help="Open the app on the demo base (built on first use).")
@click.option("--theme", default=None, help="Theme: crm-dark, crm-light, crm-contrast or any Textual theme.")
@click.version_option(__version__, prog_name="tuicrm")
@click.pass_context
def main(ctx: click.Context, demo: bool, theme: str | None, **_common) -> None:
    """tuicrm — a keyboard-driven CRM in the terminal."""
    if ctx.invoked_subcommand is not None:
        return
    with cli_errors():
        from tuicrm.cli.run import run_app

        code = run_app(ctx.obj, demo=demo, theme=theme)
    sys.exit(code or 0)


def _register_all() -> None:
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name == name:  # a command group this build does not ship
                continue
            raise
        module.register(main)


_register_all()

__all__ = ["main", "EXIT_ERROR"]
