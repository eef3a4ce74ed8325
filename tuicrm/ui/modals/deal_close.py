"""What the Won and Lost dialogs share: the deal they close, OK/Cancel buttons, an inline error line,
and a deal changed meanwhile by someone else answered with "conflict" (the board then refreshes)."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Button, Static

from tuicrm.services.base import Conflict, ServiceError
from tuicrm.services.funnel import CardInfo
from tuicrm.ui.modals.deal_form import error_text
from tuicrm.ui.screens.base import CrmModal


class CloseDealModal(CrmModal["bool | str | None"]):
    """Returns True when the deal was closed, "conflict" when someone else changed it, None on cancel.
    A subclass names its widgets "<ID_PREFIX>-ok" / "-cancel" / "-error" and defines ``action_save``."""

    DEFAULT_CLASSES = "deal-modal"
    ID_PREFIX = ""

    def __init__(self, card: CardInfo) -> None:
        super().__init__()
        self.card = card

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == f"{self.ID_PREFIX}-ok":
            self.action_save()
        else:
            self.dismiss(None)

    def action_cancel(self) -> None:
        self.dismiss(None)

    def _error(self, text: str) -> None:
        self.query_one(f"#{self.ID_PREFIX}-error", Static).update(Text(text))

    def _failed(self, exc: ServiceError) -> None:
        if isinstance(exc, Conflict):
            self.dismiss("conflict")
        else:
            self._error(error_text(exc))
