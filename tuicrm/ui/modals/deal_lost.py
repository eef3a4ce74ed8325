"""Lost: the reason (an editable list) and, where the reason needs it or the user names one, the
competitor who won (an editable list). Refused inline, with the reason why, until both are there."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from tuicrm.i18n import _
from tuicrm.services import deals
from tuicrm.services.base import ValidationError
from tuicrm.services.funnel import CardInfo
from tuicrm.ui.modals.deal_close import CloseDealModal
from tuicrm.ui.modals.deal_form import error_text

NOBODY = "none"


class LostModal(CloseDealModal):
    """Returns True when closed as lost, "conflict" when someone else changed the deal, None on cancel.

    Keys: ↑/↓ choose in a list, Tab to the next list or field, Enter in a list or ctrl+s closes
    the deal as lost; Enter in an "add" field adds the new reason / competitor and selects it."""

    ID_PREFIX = "lost"
    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="lost.cancel"),
        Binding("ctrl+s", "save", "Close as lost", id="lost.save"),
    ]

    def __init__(self, card: CardInfo) -> None:
        super().__init__(card)
        self.reasons: list[deals.Choice] = []
        self.rivals: list[deals.Choice] = []

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog deal-lost"):
            yield Static(Text(_("Lost: {title}").format(title=self.card.title)), classes="dialog-title")
            with Horizontal(classes="lost-lists"):
                with Vertical():
                    yield Label(_("Why was it lost?"))
                    yield OptionList(id="lost-reasons")
                    yield Input(placeholder=_("add a reason + Enter"), id="lost-new-reason")
                with Vertical():
                    yield Label(_("Competitor who won"))
                    yield OptionList(id="lost-rivals")
                    yield Input(placeholder=_("add a competitor + Enter"), id="lost-new-rival")
            yield Static("", id="lost-error", classes="form-error")
            with Horizontal(classes="dialog-buttons"):
                yield Button(_("Close as lost") + " (ctrl+s)", id="lost-ok", variant="error")
                yield Button(_("Cancel") + " (Esc)", id="lost-cancel")

    def on_mount(self) -> None:
        self.run_db(lambda: (deals.loss_reasons(), deals.competitors()), done=self._fill, group="lost-lists")
        self.query_one("#lost-reasons", OptionList).focus()

    def _fill(self, lists, select_reason: int | None = None, select_rival: int | None = None) -> None:
        self.reasons, self.rivals = lists
        box = self.query_one("#lost-reasons", OptionList)
        box.clear_options()
        for r in self.reasons:
            box.add_option(Option(Text(r.name + (" ⚑" if r.needs_competitor else "")), id=str(r.id)))
        if self.reasons:
            ids = [r.id for r in self.reasons]
            box.highlighted = ids.index(select_reason) if select_reason in ids else 0
        rivals = self.query_one("#lost-rivals", OptionList)
        rivals.clear_options()
        rivals.add_option(Option(_("— none / unknown —"), id=NOBODY))
        for c in self.rivals:
            rivals.add_option(Option(Text(c.name), id=str(c.id)))
        ids = [c.id for c in self.rivals]
        rivals.highlighted = ids.index(select_rival) + 1 if select_rival in ids else 0

    # --- choices -------------------------------------------------------------------------------
    def chosen_reason(self) -> deals.Choice | None:
        box = self.query_one("#lost-reasons", OptionList)
        i = box.highlighted
        return self.reasons[i] if i is not None and 0 <= i < len(self.reasons) else None

    def chosen_rival(self) -> deals.Choice | None:
        box = self.query_one("#lost-rivals", OptionList)
        i = box.highlighted
        return self.rivals[i - 1] if i is not None and 1 <= i <= len(self.rivals) else None

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.action_save()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        name = event.value.strip()
        if not name:
            self.action_save()
            return
        reason, rival = self.chosen_reason(), self.chosen_rival()
        if event.input.id == "lost-new-reason":
            def added(choice: deals.Choice) -> None:
                event.input.value = ""
                self._reload(select_reason=choice.id, select_rival=rival.id if rival else None)
                self.query_one("#lost-reasons", OptionList).focus()

            self.run_db(deals.add_loss_reason, self.actor, name, done=added, error=self._failed, group="lost-add")
        else:
            def added_rival(choice: deals.Choice) -> None:
                event.input.value = ""
                self._reload(select_reason=reason.id if reason else None, select_rival=choice.id)
                self.query_one("#lost-rivals", OptionList).focus()

            self.run_db(deals.add_competitor, self.actor, name, done=added_rival, error=self._failed, group="lost-add")

    def _reload(self, select_reason=None, select_rival=None) -> None:
        self.run_db(lambda: (deals.loss_reasons(), deals.competitors()),
                    done=lambda lists: self._fill(lists, select_reason, select_rival), group="lost-lists")

    def action_save(self) -> None:
        reason, rival = self.chosen_reason(), self.chosen_rival()
        if reason is None:
            self._error(error_text(ValidationError("", "loss_reason")))
            return
        if reason.needs_competitor and rival is None:
            self._error(error_text(ValidationError("", "competitor")))
            self.query_one("#lost-rivals", OptionList).focus()
            return
        self._error("")
        self.run_db(deals.mark_lost, self.actor, self.card.id, self.card.row_version, reason.id,
                    rival.id if rival else None, done=lambda _v: self.dismiss(True), error=self._failed,
                    group="lost-save")
