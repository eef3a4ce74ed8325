"""The click group behind ``tuicrm``: bare ``tuicrm`` opens the app; subcommands serve scripts
and cron. ``tuicrm.cli.main`` runs it (or `tuicrm lookup` without it, in its common shape).

Subcommands that do not need the UI never import Textual (``tuicrm lookup`` stays fast).
"""

from __future__ import annotations

import importlib
import sys

import click

from tuicrm import __version__
from tuicrm.cli.common import EXIT_ERROR, cli_errors, common_options

# Each module registers its commands on ``main`` through ``register(main)``. Modules are imported
# only when needed: ``tuicrm lookup`` imports just tuicrm.cli.lookup (a fast start for phone
# systems); ``--help`` or an unknown name imports them all.
COMMAND_MODULES = [
    "tuicrm.cli.lookup",
    "tuicrm.cli.dbcmd",
    "tuicrm.cli.demo",
    "tuicrm.cli.plan",
    "tuicrm.cli.transfer",
    "tuicrm.cli.report",
    "tuicrm.cli.users",
]
# command name → the module that registers it (a hint; a name not listed here is still found)
COMMAND_HINTS = {
    "lookup": "tuicrm.cli.lookup",
    "db": "tuicrm.cli.dbcmd",
    "demo": "tuicrm.cli.demo",
    "plan": "tuicrm.cli.plan",
    "import": "tuicrm.cli.transfer",
    "export": "tuicrm.cli.transfer",
    "report": "tuicrm.cli.report",
    "report-target": "tuicrm.cli.report",
    "user": "tuicrm.cli.users",
}


class LazyGroup(click.Group):
    """A group whose subcommands are registered by their modules on first use."""

    _loaded: set[str]

    def _load(self, name: str) -> None:
        loaded = self.__dict__.setdefault("_loaded", set())
        if name in loaded:
            return
        loaded.add(name)
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name == name:  # a command group this build does not ship
                return
            raise
        module.register(self)

    def _load_all(self) -> None:
        for name in COMMAND_MODULES:
            self._load(name)

    def get_command(self, ctx: click.Context, cmd_name: str):
        if cmd_name not in self.commands and cmd_name in COMMAND_HINTS:
            self._load(COMMAND_HINTS[cmd_name])
        if cmd_name not in self.commands:
            self._load_all()
        return super().get_command(ctx, cmd_name)

    def list_commands(self, ctx: click.Context):
        self._load_all()
        return super().list_commands(ctx)


@click.group(cls=LazyGroup, invoke_without_command=True, context_settings={"help_option_names": ["-h", "--help"]})
@common_options
@click.option("--demo", is_flag=True, help="Open the app on the demo base (built on first use).")
@click.option("--theme", default=None, help="Theme: crm-dark, crm-light, crm-contrast or any Textual theme.")
@click.version_option(__version__, prog_name="tuicrm")
@click.pass_context
def main(ctx: click.Context, demo: bool, theme: str | None, **_common) -> None:
    """tuicrm — a keyboard-driven CRM in the terminal."""
    if ctx.invoked_subcommand is not None:
        from tuicrm.startup import resume_gc

        resume_gc()  # only the app's start runs without the cyclic collector (tuicrm.startup)
        return
    with cli_errors():
        from tuicrm.cli.run import run_app

        code = run_app(ctx.obj, demo=demo, theme=theme)
    sys.exit(code or 0)


def _register_all() -> None:
    """Register every command now (tools that walk ``main.commands``)."""
    main._load_all()


__all__ = ["main", "LazyGroup", "EXIT_ERROR"]
