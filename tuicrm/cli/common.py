"""Options and error handling shared by every command: one clear line and exit 2, never a traceback.

Click is imported only where options are declared: `tuicrm lookup` in its common shape runs
without it (``tuicrm.cli.main``), and ``echo`` writes the way ``click.echo`` does.
"""

from __future__ import annotations

import functools
import sys
from contextlib import contextmanager

EXIT_OK, EXIT_NOTHING, EXIT_ERROR = 0, 1, 2

_ANSI = None  # click's pattern (click._compat._ansi_re), compiled on first use


def echo(message: str = "", err: bool = False) -> None:
    """``click.echo(message, err=err)``: through click when it is loaded (a command run by the
    click group); otherwise the same result for text — a new line, ANSI codes stripped when the
    stream is not a terminal, flushed."""
    click = sys.modules.get("click")
    if click is not None:
        click.echo(message, err=err)
        return
    stream = sys.stderr if err else sys.stdout
    if stream is None:
        return
    out = message + "\n"
    if "\x1b" in out and not _isatty(stream):
        global _ANSI
        if _ANSI is None:
            import re

            _ANSI = re.compile(r"\033\[[0-?]*[ -/]*[@-~]")
        out = _ANSI.sub("", out)
    stream.write(out)
    stream.flush()


def _isatty(stream) -> bool:
    try:
        return stream.isatty()
    except Exception:  # noqa: BLE001 - as click's isatty()
        return False


class CliContext:
    """The common options of one command line (a plain class: a dataclass costs ~0.7 ms to create)."""

    def __init__(self, db: str | None = None, user: str | None = None, lang: str | None = None,
                 config: str | None = None):
        self.db, self.user, self.lang, self.config = db, user, lang, config

    def __repr__(self) -> str:
        return f"CliContext(db={self.db!r}, user={self.user!r}, lang={self.lang!r}, config={self.config!r})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, CliContext):
            return NotImplemented
        return (self.db, self.user, self.lang, self.config) == (other.db, other.user, other.lang, other.config)

    __hash__ = None  # as the dataclass it replaces

    def settings(self):
        import os

        from tuicrm import config

        if self.config:
            os.environ["TUICRM_CONFIG"] = self.config
        s = config.load()
        for w in s.warnings:
            echo(f"tuicrm: {w}", err=True)
        if self.lang:
            s.language = self.lang
        return s

    def session(self, *, must_exist: bool = False, read_only: bool = False):
        from tuicrm import i18n
        from tuicrm.session import open_session

        settings = self.settings()
        i18n.set_language(settings.language)
        return open_session(self.db, settings, user=self.user, must_exist=must_exist, read_only=read_only)


def _store(name):
    def callback(ctx, _param, value):
        obj = ctx.ensure_object(CliContext)
        if value is not None:
            setattr(obj, name, value)
        return value

    return callback


def common_options(fn):
    """--db/--user/--lang/--config, accepted before or after the subcommand."""
    import click

    fn = click.option("--config", "config", default=None, expose_value=False, callback=_store("config"),
                      help="Config file (default: the user config dir; env TUICRM_CONFIG).")(fn)
    fn = click.option("--lang", "lang", type=click.Choice(["auto", "en", "ru"]), default=None, expose_value=False,
                      callback=_store("lang"), help="Interface language.")(fn)
    fn = click.option("--user", "user", default=None, envvar="TUICRM_USER", expose_value=False, callback=_store("user"),
                      help="Act as this user (login); default: the OS login.")(fn)
    fn = click.option("--db", "db", default=None, envvar="TUICRM_DB", expose_value=False, callback=_store("db"),
                      help="Database URL: sqlite:///path.db or postgresql://user:pass@host:port/db (env TUICRM_DB).")(fn)
    return fn


def fail(message: str, code: int = EXIT_ERROR):
    echo(f"tuicrm: {message}", err=True)
    sys.exit(code)


@contextmanager
def cli_errors():
    """Turn known failures into one line on stderr and exit 2."""
    from peewee import DatabaseError, InterfaceError

    from tuicrm.db.connection import DatabaseUnavailable
    from tuicrm.i18n import _
    from tuicrm.services.base import ServiceError

    try:
        yield
    except DatabaseUnavailable as exc:
        fail(str(exc))
    except ServiceError as exc:
        fail(str(exc))
    except (DatabaseError, InterfaceError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        fail(_("database error: {reason}").format(reason=first))
    except OSError as exc:
        fail(f"{exc.strerror or exc}: {exc.filename}" if exc.filename else str(exc))
    except KeyboardInterrupt:
        fail(_("interrupted"), 130)


def command(group, *args, **kwargs):
    """``@command(main, "lookup")``: a subcommand that also takes the common options."""
    import click

    def deco(fn):
        @functools.wraps(fn)
        def wrapper(*a, **kw):
            return fn(*a, **kw)

        return group.command(*args, **kwargs)(common_options(click.pass_obj(wrapper)))

    return deco


# --- without click (tuicrm.cli.lookup.fast_main, tuicrm.cli.run.fast_main) ------------------------


def plain_args(argv: list[str], value_options: dict[str, str], flags: dict[str, str], *,
               words: bool = False) -> tuple[dict[str, object], list[str]] | None:
    """``argv`` read the way click would read these options (``--name VALUE``, ``--name=VALUE``,
    ``--flag``) and, with ``words``, the other arguments as words; None for anything to leave to
    click: shell completion, a stream click would re-encode, an unknown option, a value missing."""
    import os

    if any(name.endswith("_COMPLETE") for name in os.environ):
        return None
    for stream in (sys.stdout, sys.stderr):
        if stream is None or _ascii_or_unknown(getattr(stream, "encoding", None)):
            return None
    given: dict[str, object] = {}
    rest: list[str] = []
    args = iter(argv)
    for token in args:
        if words and not token.startswith("-"):
            rest.append(token)
            continue
        name, eq, value = token.partition("=")
        if name in flags and not eq:
            given[flags[name]] = True
        elif name in value_options:
            if not eq:
                value = next(args, None)
                if value is None or value.startswith("-"):
                    return None
            given[value_options[name]] = value
        else:  # a subcommand, --help, --version, an unknown option…
            return None
    if given.get("lang", "auto") not in ("auto", "en", "ru"):
        return None
    return given, rest


def plain_context(given: dict[str, object]) -> CliContext:
    """The group's options from ``plain_args``, with the environment the group reads."""
    import os

    return CliContext(
        db=given.get("db", os.environ.get("TUICRM_DB") or None),
        user=given.get("user", os.environ.get("TUICRM_USER") or None),
        lang=given.get("lang"),
        config=given.get("config"),
    )


def _ascii_or_unknown(encoding: str | None) -> bool:
    """click re-encodes a stream whose encoding is ASCII (or missing): leave those to click."""
    import codecs

    try:
        return codecs.lookup(encoding or "ascii").name == "ascii"
    except LookupError:
        return True
