"""Open the Textual app (imported only here, so the other commands stay light)."""

from __future__ import annotations

from tuicrm import i18n, paths
from tuicrm.cli.common import CliContext


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
