"""Open the Textual app (imported only here, so the other commands stay light).

``fast_main``: bare ``tuicrm`` with the options it documents opens the app without click (≈ 10 ms
of a start): anything else — help, version, a subcommand, a bad or unknown option — goes to the
click group, which also gives every error message."""

from __future__ import annotations


from tuicrm import i18n, paths
from tuicrm.cli.common import CliContext, cli_errors, echo, plain_args, plain_context


def run_app(obj: CliContext, *, demo: bool = False, theme: str | None = None) -> int:
    settings = obj.settings()
    i18n.set_language(settings.language)
    url = obj.db
    if demo:
        from tuicrm.services.demo import build_demo

        path = paths.demo_db_path()
        if not path.exists():
            print(f"building the demo base at {path} …", flush=True)
            build_demo(path, fresh=True, lang=i18n.language())
        url = f"sqlite:///{path}"
        obj.user = obj.user or "demo"
    from tuicrm.session import open_session

    session = open_session(url, settings, user=obj.user)
    from tuicrm.ui.app import create_app

    app = create_app(session, theme=theme)
    app.run()
    return app.return_code or 0


# --- without click ---------------------------------------------------------------------------

_VALUE_OPTIONS = {"--db": "db", "--user": "user", "--lang": "lang", "--config": "config", "--theme": "theme"}
_FLAGS = {"--demo": "demo"}


def fast_main(argv: list[str]) -> int | None:
    """`tuicrm [--db URL] [--user LOGIN] [--lang auto|en|ru] [--config PATH] [--demo] [--theme NAME]`
    as the click group runs it (tuicrm.cli.group.main: the same options, environment and exit
    code), or None to leave ``argv`` to click."""
    parsed = plain_args(argv, _VALUE_OPTIONS, _FLAGS)
    if parsed is None:
        return None
    given, _words = parsed
    obj = plain_context(given)
    from tuicrm.startup import import_peewee

    import_peewee(obj.db)  # without psycopg2 unless the base is PostgreSQL (tuicrm.startup)
    try:
        with cli_errors():
            code = run_app(obj, demo=bool(given.get("demo")), theme=given.get("theme"))
    except EOFError:  # as click's main: a blank line, "Aborted!", exit 1
        echo("", err=True)
        echo("Aborted!", err=True)
        return 1
    return code or 0
