"""The command line: bare ``tuicrm`` opens the app; subcommands serve scripts and cron.

``main`` is the ``tuicrm`` entry point. `tuicrm lookup …` in its common shape (the options it
documents, a query) runs without importing click — a phone system starts it for every call, so
it must start fast; anything else (``--help``, other commands, options before ``lookup``, an
unknown or malformed option) goes to the click group ``tuicrm.cli.group.main``, which also gives
every error message. Bare ``tuicrm`` with the app's own options (``--db``, ``--user``, ``--lang``,
``--config``, ``--demo``, ``--theme``) opens the app without click too (tuicrm.cli.run.fast_main).
Subcommands that do not need the UI never import Textual. The cyclic garbage collector is paused
while the app starts (tuicrm.startup).
"""

from __future__ import annotations

import sys


def main(args=None, prog_name=None, **extra):
    """Run ``tuicrm`` with ``args`` (default: the command line), as ``click.Group.main`` does:
    it ends with SystemExit carrying the exit code."""
    from tuicrm.startup import pause_gc, resume_gc

    pause_gc()  # while starting: resumed by the app after its first page, or by a subcommand
    try:
        return _main(args, prog_name, **extra)
    finally:
        resume_gc()


def _main(args=None, prog_name=None, **extra):
    if prog_name is None and not extra:
        argv = sys.argv[1:] if args is None else list(args)
        if argv[:1] == ["lookup"]:
            from tuicrm.cli.lookup import fast_main

            code = fast_main(argv[1:])
            if code is not None:
                sys.exit(code)
        elif not argv[:1] or argv[0].startswith("-"):  # the app, in its common shape: no click either
            from tuicrm.cli.run import fast_main as fast_app

            code = fast_app(argv)
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
