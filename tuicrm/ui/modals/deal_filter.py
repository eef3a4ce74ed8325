"""The board's filter: whose deals (all / mine / a manager), a tag, the expected-close period."""

from __future__ import annotations

import datetime as dt

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Label, OptionList, Static
from textual.widgets.option_list import Option

from tuicrm.i18n import N_, _
from tuicrm.services import funnel
from tuicrm.services.funnel import BoardFilter
from tuicrm.ui.screens.base import CrmModal

PERIODS = [
    ("any", N_("Any date")),
    ("overdue", N_("Overdue")),
    ("this_month", N_("This month")),
    ("next_month", N_("Next month")),
    ("this_quarter", N_("This quarter")),
]


class FilterModal(CrmModal["tuple[BoardFilter, str, str] | None"]):
    """Returns (filter, owner name, tag name) or None. ↑/↓ in each list, Tab between lists,
    Enter or ctrl+s applies, Esc cancels."""

    DEFAULT_CLASSES = "deal-modal"
    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="dealfilter.cancel"),
        Binding("ctrl+s", "apply", "Apply", id="dealfilter.apply"),
    ]

    def __init__(self, current: BoardFilter, *, today: dt.date) -> None:
        super().__init__()
        self.current = current
        self.today = today
        self.owner_opts: list[tuple[str, int | None, str]] = []
        self.tag_opts: list[tuple[int | None, str]] = []

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog deal-filter"):
            yield Static(_("Filter deals"), classes="dialog-title")
            with Horizontal(classes="filter-lists"):
                with Vertical():
                    yield Label(_("Whose"))
                    yield OptionList(id="filter-owner")
                with Vertical():
                    yield Label(_("Tag"))
                    yield OptionList(id="filter-tag")
                with Vertical():
                    yield Label(_("Expected close"))
                    yield OptionList(*[Option(_(label), id=key) for key, label in PERIODS], id="filter-period")
            with Horizontal(classes="dialog-buttons"):
                yield Button(_("Apply") + " (Enter)", id="filter-ok", variant="primary")
                yield Button(_("Cancel") + " (Esc)", id="filter-cancel")

    def on_mount(self) -> None:
        self.run_db(lambda: (funnel.owners(self.actor), funnel.deal_tags()), done=self._fill, group="filter-lists")
        self.query_one("#filter-owner", OptionList).focus()
        span = (self.current.close_from, self.current.close_to)
        self.query_one("#filter-period", OptionList).highlighted = next(
            (i for i, (key, _l) in enumerate(PERIODS) if funnel.period(key, self.today) == span), 0)

    def _fill(self, lists) -> None:
        owners, tags = lists
        self.owner_opts = [("all", None, ""), ("mine", None, "")]
        if self.actor.sees_all:
            self.owner_opts += [("user", o.id, o.name) for o in owners]
        box = self.query_one("#filter-owner", OptionList)
        box.clear_options()
        for scope, _oid, name in self.owner_opts:
            box.add_option(Option(Text({"all": _("All deals"), "mine": _("My deals")}.get(scope, name))))  # names: text, never markup
        cur = self.current
        index = next((i for i, (s, oid, _n) in enumerate(self.owner_opts)
                      if s == cur.scope and (s != "user" or oid == cur.owner_id)), 0)
        box.highlighted = index
        self.tag_opts = [(None, "")] + [(t.id, t.name) for t in tags]
        tbox = self.query_one("#filter-tag", OptionList)
        tbox.clear_options()
        for tid, name in self.tag_opts:
            tbox.add_option(Option(Text(_("Any tag") if tid is None else "#" + name)))
        tbox.highlighted = next((i for i, (tid, _n) in enumerate(self.tag_opts) if tid == cur.tag_id), 0)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.action_apply()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "filter-ok":
            self.action_apply()
        else:
            self.dismiss(None)

    def action_cancel(self) -> None:
        self.dismiss(None)

    def action_apply(self) -> None:
        oi = self.query_one("#filter-owner", OptionList).highlighted or 0
        ti = self.query_one("#filter-tag", OptionList).highlighted or 0
        pi = self.query_one("#filter-period", OptionList).highlighted or 0
        scope, owner_id, owner_name = self.owner_opts[oi] if self.owner_opts else ("all", None, "")
        tag_id, tag_name = self.tag_opts[ti] if self.tag_opts else (None, "")
        lo, hi = funnel.period(PERIODS[pi][0], self.today)
        self.dismiss((BoardFilter(scope=scope, owner_id=owner_id, tag_id=tag_id, close_from=lo, close_to=hi),
                      owner_name, tag_name))
