"""What every pane and modal shares: translated bindings, the session, DB calls, palette commands."""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable, Generic, Iterable, TypeVar

from textual.screen import ModalScreen, Screen

from tuicrm.ui.bindings import translate_bindings
from tuicrm.ui.dbcall import DbCaller

if TYPE_CHECKING:
    from tuicrm.session import Session
    from tuicrm.ui.app import CrmApp

Command = tuple[str, str, Callable[[], object]]  # (title, help, callback)
ResultT = TypeVar("ResultT")


class SessionMixin:
    @property
    def crm(self) -> "CrmApp":
        return self.app  # type: ignore[return-value]

    @property
    def session(self) -> "Session":
        return self.app.session  # type: ignore[attr-defined]

    @property
    def actor(self):
        return self.session.actor

    @property
    def settings(self):
        return self.session.settings


class CrmScreen(SessionMixin, DbCaller, Screen):
    """A pane (one of the app's modes)."""

    PANE_TITLE = ""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        translate_bindings(self)

    def commands(self) -> Iterable[Command]:
        """Commands this pane adds to the palette (already translated)."""
        return ()


class CrmModal(SessionMixin, DbCaller, ModalScreen[ResultT], Generic[ResultT]):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        translate_bindings(self)
