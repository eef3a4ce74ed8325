"""Won: asks the final amount (prefilled with the deal's), then closes the deal as won."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Input, Label, Static

from tuicrm.i18n import _
from tuicrm.services import deals
from tuicrm.services.base import ValidationError
from tuicrm.ui.modals.deal_close import CloseDealModal
from tuicrm.ui.modals.deal_form import error_text


class WonModal(CloseDealModal):
    """Returns True when the deal was closed as won, "conflict" when someone else changed it, None on cancel."""

    ID_PREFIX = "won"
    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="won.cancel"),
        Binding("ctrl+s", "save", "Close as won", id="won.save"),
    ]

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(Text(_("Won: {title}").format(title=self.card.title)), classes="dialog-title")
            yield Label(_("Final amount"))
            yield Input(deals.amount_text(self.card.amount_minor), id="won-amount")
            yield Static("", id="won-error", classes="form-error")
            with Horizontal(classes="dialog-buttons"):
                yield Button(_("Close as won") + " (Enter)", id="won-ok", variant="success")
                yield Button(_("Cancel") + " (Esc)", id="won-cancel")

    def on_mount(self) -> None:
        self.query_one("#won-amount", Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_save()

    def action_save(self) -> None:
        try:
            amount = deals.parse_amount(self.query_one("#won-amount", Input).value)
        except ValidationError as exc:
            self._error(error_text(exc))
            return
        self._error("")
        self.run_db(deals.mark_won, self.actor, self.card.id, self.card.row_version, amount,
                    done=lambda _v: self.dismiss(True), error=self._failed, group="won")
