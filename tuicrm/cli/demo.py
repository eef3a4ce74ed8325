"""`tuicrm demo`: build (or rebuild) the demo base."""

from __future__ import annotations

from pathlib import Path

import click

from tuicrm.cli.common import cli_errors, command


def register(main: click.Group) -> None:
    @command(main, "demo")
    @click.option("-o", "--output", type=click.Path(path_type=Path), default=None,
                  help="Where to write the demo base (default: demo.db in the user data dir).")
    @click.option("--fresh/--keep", default=True, show_default=True, help="Rebuild even if it exists.")
    def demo(obj, output: Path | None, fresh: bool) -> None:
        """Build a demo base full of realistic sample data (deterministic)."""
        with cli_errors():
            from tuicrm import paths
            from tuicrm.services.demo import build_demo

            path = output or paths.demo_db_path()
            stats = build_demo(path, fresh=fresh, lang=obj.settings().language)
            click.echo(f"demo base: {path}")
            for key, value in stats.items():
                click.echo(f"  {key}: {value}")
