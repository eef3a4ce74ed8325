"""Pick whose day to open (heads and admins)."""

from __future__ import annotations

from rich.markup import escape
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from tuicrm.i18n import N_, _
from tuicrm.services.plan import UserChoice
from tuicrm.ui.screens.base import CrmModal

ROLE_NAMES = {"admin": N_("admin"), "head": N_("head of sales"), "manager": N_("manager")}


class UserPickerModal(CrmModal[int | None]):
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="plan.users_cancel")]

    def __init__(self, users: list[UserChoice], current: int | None) -> None:
        super().__init__()
        self.users = users
        self.current = current

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog plan-dialog"):
            yield Static(_("Whose day?"), classes="dialog-title")
            options = [Option(f"{escape(u.name)}  [dim]{escape(u.login)} · {escape(_(ROLE_NAMES.get(u.role, u.role)))}[/dim]",
                              id=str(u.id)) for u in self.users]
            yield OptionList(*options, id="plan-users")
            yield Static(_("↑/↓ and Enter · Esc: cancel"), classes="plan-hint")

    def on_mount(self) -> None:
        ol = self.query_one(OptionList)
        for i, u in enumerate(self.users):
            if u.id == self.current:
                ol.highlighted = i
        ol.focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(int(event.option.id))

    def action_cancel(self) -> None:
        self.dismiss(None)
