"""The command line: bare ``tuicrm`` opens the app; subcommands serve scripts and cron.

``main`` is the ``tuicrm`` entry point. `tuicrm lookup …` in its common shape (the options it
documents, a query) runs without importing click — a phone system starts it for every call, so
it must start fast; anything else (``--help``, other commands, options before ``lookup``, an
unknown or malformed option) goes to the click group ``tuicrm.cli.group.main``, which also gives
every error message. Subcommands that do not need the UI never import Textual.
"""

from __future__ import annotations

import sys


def main(args=None, prog_name=None, **extra):
    """Run ``tuicrm`` with ``args`` (default: the command line), as ``click.Group.main`` does:
    it ends with SystemExit carrying the exit code."""
    if prog_name is None and not extra:
        argv = sys.argv[1:] if args is None else list(args)
        if argv[:1] == ["lookup"]:
            from tuicrm.cli.lookup import fast_main

            code = fast_main(argv[1:])
            if code is not None:
                sys.exit(code)
    from tuicrm.cli.group import main as group

    return group.main(args=args, prog_name=prog_name, **extra)


def __getattr__(name: str):
    # the click group and its helpers, for tools that walk the commands (tuicrm.cli.group)
    if name in ("group", "LazyGroup", "COMMAND_MODULES", "COMMAND_HINTS", "_register_all"):
        import importlib

        group = importlib.import_module("tuicrm.cli.group")
        return group if name == "group" else getattr(group, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["main"]
