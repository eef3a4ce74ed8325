"""Database calls from the UI: off the event loop, with the connection loss reported and retried.

Usage inside a screen or widget::

    self.run_db(services.search.search, actor, text, done=self.show_hits, group="search")

The call runs in a thread worker (``exclusive`` per group, so a newer search cancels an older
one), inside ``connection_context``; a lost connection is reconnected and retried with a notice;
a ServiceError is shown as a notification (or passed to ``error=``) and never becomes a traceback;
any other exception is said the same way, as an unexpected error, instead of leaving the screen waiting.
"""

from __future__ import annotations

import time
import traceback
from typing import Any, Callable

import peewee
from textual.dom import DOMNode
from textual.worker import get_current_worker

from tuicrm.i18n import _
from tuicrm.model import database
from tuicrm.services.base import ServiceError

RETRIES = 3


def call_with_retry(fn: Callable, *args, notify: Callable[[str], None] | None = None, **kwargs) -> Any:
    """Run ``fn`` on this thread's connection; reconnect and retry when the connection drops."""
    delay = 0.5
    for attempt in range(RETRIES + 1):
        try:
            with database.connection_context():
                return fn(*args, **kwargs)
        except (peewee.OperationalError, peewee.InterfaceError) as exc:
            text = str(exc).lower()
            lost = any(s in text for s in ("closed", "terminat", "connection", "server", "timeout", "could not"))
            if not lost or attempt == RETRIES:
                raise
            if notify:
                notify(_("Database connection lost; retrying ({n}/{total})…").format(n=attempt + 1, total=RETRIES))
            try:
                if not database.is_closed():
                    database.close()
            except peewee.PeeweeException:
                pass
            time.sleep(delay)
            delay *= 2


class DbCaller:
    """Mixin for screens and widgets."""

    def run_db(
        self: DOMNode,
        fn: Callable,
        *args,
        done: Callable[[Any], None] | None = None,
        error: Callable[[ServiceError], None] | None = None,
        group: str = "db",
        exclusive: bool = True,
        **kwargs,
    ):
        app = self.app

        def notify(msg: str) -> None:
            app.call_from_thread(app.notify, msg, severity="warning", timeout=4, markup=False)

        def work() -> None:
            worker = get_current_worker()
            try:
                result = call_with_retry(fn, *args, notify=notify, **kwargs)
            except ServiceError as exc:
                if not worker.is_cancelled:
                    if error is not None:
                        app.call_from_thread(error, exc)
                    else:
                        app.call_from_thread(app.notify, str(exc), severity="error", timeout=6, markup=False)
                return
            except (peewee.OperationalError, peewee.InterfaceError) as exc:
                first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
                lost = ServiceError(_("Database unavailable: {error}. Nothing was lost; try again.").format(error=first))
                if worker.is_cancelled:
                    return
                if error is not None:  # the caller's own handler: it says so, and resets its state
                    app.call_from_thread(error, lost)  # (a form stays open, a list can fetch again)
                else:
                    app.call_from_thread(app.notify, str(lost), severity="error", timeout=10, markup=False)
                return
            except Exception as exc:  # noqa: BLE001 - a bug: said on screen (the worker does not exit the app), not left hanging
                if worker.is_cancelled:
                    return
                app.call_from_thread(app.log.error, traceback.format_exc())
                failed = ServiceError(_("Unexpected error: {error}").format(error=f"{type(exc).__name__}: {exc}"[:300]))
                if error is not None:  # the caller resets its state (a screen that said "Importing…" says this)
                    app.call_from_thread(error, failed)
                else:
                    app.call_from_thread(app.notify, str(failed), severity="error", timeout=10, markup=False)
                return
            if done is not None and not worker.is_cancelled:
                app.call_from_thread(done, result)

        return self.run_worker(work, thread=True, exclusive=exclusive, group=group, exit_on_error=False)
