"""Choose a person or a company: results as you type (the universal search), arrows + Enter."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.timer import Timer
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from tuicrm.i18n import _
from tuicrm.services import phones as phone_svc
from tuicrm.services import search as search_svc
from tuicrm.services.search import CardHit
from tuicrm.ui.screens.base import CrmModal

DEBOUNCE = 0.15
LIMIT = 30


def hit_label(hit: CardHit, region: str = phone_svc.DEFAULT_REGION, style: str = "national") -> str:
    icon = "🏢" if hit.kind == "company" else "👤"
    parts = [f"{icon} {hit.name}"]
    if hit.kind == "person" and hit.company:
        parts.append(hit.company)
    if hit.phone_raw:
        parts.append(phone_svc.format_phone(hit.phone_e164, hit.phone_raw, style, region))
    return " · ".join(parts)


def client_ids(hit: CardHit) -> tuple[int | None, int | None]:
    """(person_id, company_id) of a picked card: a person brings their company along."""
    if hit.kind == "person":
        return hit.id, hit.company_id
    return None, hit.id


class ClientPicker(CrmModal["CardHit | None"]):
    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="picker.cancel"),
        Binding("down", "move(1)", "Next", show=False, id="picker.down"),
        Binding("up", "move(-1)", "Previous", show=False, id="picker.up"),
        Binding("enter", "choose", "Choose", id="picker.choose", priority=True),
    ]

    def __init__(self, kinds: tuple[str, ...] = ("person", "company"), *, query: str = "", title: str | None = None,
                 exclude: tuple[str, int] | None = None) -> None:
        super().__init__()
        self.kinds = tuple(kinds)
        self.initial = query
        self.title_text = title
        self.exclude = exclude
        self.hits: list[CardHit] = []
        self._timer: Timer | None = None
        self._asked = ""

    def compose(self) -> ComposeResult:
        if self.title_text:
            title = self.title_text
        elif self.kinds == ("company",):
            title = _("Choose a company")
        elif self.kinds == ("person",):
            title = _("Choose a person")
        else:
            title = _("Choose a client")
        with Vertical(classes="dialog picker-dialog"):
            yield Static(title, classes="dialog-title")
            yield Input(self.initial, placeholder=_("name, phone, email, tax id, #tag"), id="picker-query", compact=True)
            yield OptionList(id="picker-results")
            yield Static(_("Type to search · ↑↓ choose · Enter take · Esc cancel"), id="picker-status", classes="field-message -hint")

    def on_mount(self) -> None:
        self.query_one("#picker-query", Input).focus()
        if self.initial.strip():
            self._search(self.initial)

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        if self._timer is not None:
            self._timer.stop()
        text = event.value
        self._timer = self.set_timer(DEBOUNCE, lambda: self._search(text))

    def _search(self, text: str) -> None:
        self._asked = text
        if not text.strip():
            self._show([])
            return
        s = self.settings
        self.run_db(search_svc.search, self.actor, text, limit=LIMIT, region=s.phone_region,
                    done=lambda hits, asked=text: self._show(hits, asked), group="picker")

    def _show(self, hits: list[CardHit], asked: str | None = None) -> None:
        if asked is not None and asked != self.query_one("#picker-query", Input).value:
            return  # a newer query is on its way
        self.hits = [h for h in hits if h.kind in self.kinds and (h.kind, h.id) != self.exclude]
        options = self.query_one("#picker-results", OptionList)
        options.clear_options()
        s = self.settings
        options.add_options([Option(Text(hit_label(h, s.phone_region, s.phone_format)), id=f"{h.kind}:{h.id}") for h in self.hits])
        if self.hits:
            options.highlighted = 0
        status = self.query_one("#picker-status", Static)
        if not self.query_one("#picker-query", Input).value.strip():
            status.update(_("Type to search · ↑↓ choose · Enter take · Esc cancel"))
        elif not self.hits:
            status.update(_("Nothing found"))
        else:
            status.update(_("{n} found · ↑↓ choose · Enter take").format(n=len(self.hits)))

    @property
    def ready(self) -> bool:
        """True once the results on screen are for what is typed (tests poll this)."""
        return self._asked == self.query_one("#picker-query", Input).value and not any(
            w.node is self and w.group == "picker" and not w.is_finished for w in self.app.workers
        )

    def action_move(self, step: int) -> None:
        options = self.query_one("#picker-results", OptionList)
        if not self.hits:
            return
        current = options.highlighted if options.highlighted is not None else -1
        options.highlighted = max(0, min(len(self.hits) - 1, current + step))

    def action_choose(self) -> None:
        options = self.query_one("#picker-results", OptionList)
        if not self.hits:
            return
        index = options.highlighted if options.highlighted is not None else 0
        self.dismiss(self.hits[index])

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(self.hits[event.option_index])

    def action_cancel(self) -> None:
        self.dismiss(None)
