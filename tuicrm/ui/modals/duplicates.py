""""This number belongs to <card> — open it?": shown by the card forms before saving."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, OptionList, Static
from textual.widgets.option_list import Option

from tuicrm.i18n import _
from tuicrm.services.contacts import CardRef
from tuicrm.ui.screens.base import CrmModal


def reason_text(ref: CardRef) -> str:
    what, _sep, value = ref.reason.partition(" ")
    if what == "phone":
        return _("This number {value} belongs to").format(value=value)
    if what == "email":
        return _("This address {value} belongs to").format(value=value)
    if what == "tax":
        return _("This tax id {value} belongs to").format(value=value.removeprefix("id ").strip())
    return ref.reason


class DuplicateWarning(CrmModal["tuple[str, CardRef | None] | None"]):
    """Returns ("open", card), ("save", None) or None (back to the form)."""

    BINDINGS = [
        Binding("o", "open", "Open it", id="dup.open"),
        Binding("s", "save", "Save anyway", id="dup.save"),
        Binding("escape,b", "back", "Back", id="dup.back"),
    ]

    def __init__(self, refs: list[CardRef]) -> None:
        super().__init__()
        self.refs = refs

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog dup-dialog"):
            first = self.refs[0]
            kind = _("company") if first.kind == "company" else _("person")
            yield Static(  # names and values as written, never markup
                Text(_("{reason} {kind} «{name}» — open it?").format(reason=reason_text(first), kind=kind, name=first.name)),
                classes="dialog-title", id="dup-question",
            )
            if len(self.refs) > 1:
                yield Static(_("Also similar:"), classes="field-message -hint")
                yield OptionList(*[
                    Option(Text(f"{'🏢' if r.kind == 'company' else '👤'} {r.name} — {reason_text(r)}"), id=f"{r.kind}:{r.id}")
                    for r in self.refs
                ], id="dup-list")
            with Horizontal(classes="dialog-buttons"):
                yield Button(_("Open it") + " (o)", id="open", variant="primary")
                yield Button(_("Save anyway") + " (s)", id="save", variant="warning")
                yield Button(_("Back") + " (b)", id="back")

    def on_mount(self) -> None:
        self.query_one("#open", Button).focus()

    def _chosen(self) -> CardRef:
        try:
            options = self.query_one("#dup-list", OptionList)
        except Exception:  # noqa: BLE001
            return self.refs[0]
        return self.refs[options.highlighted or 0]

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        getattr(self, f"action_{event.button.id}")()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(("open", self.refs[event.option_index]))

    def action_open(self) -> None:
        self.dismiss(("open", self._chosen()))

    def action_save(self) -> None:
        self.dismiss(("save", None))

    def action_back(self) -> None:
        self.dismiss(None)
