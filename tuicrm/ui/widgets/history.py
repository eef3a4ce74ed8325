"""The card's history timeline: a DataTable fed page by page (older entries load as the cursor
nears the end, or with a key)."""

from __future__ import annotations

from rich.text import Text
from textual.binding import Binding
from textual.message import Message
from textual.widgets import DataTable

from tuicrm import formatting
from tuicrm.i18n import N_, _
from tuicrm.services import history
from tuicrm.services.history import Entry, HistoryPage
from tuicrm.ui.bindings import translate_bindings
from tuicrm.ui.dbcall import DbCaller
from tuicrm.ui.widgets import labels

PAGE = 50
MARGIN = 5

TITLES = {"when": N_("When"), "what": N_("What"), "text": N_("Details"), "who": N_("Who")}


def entry_text(e: Entry, company_card: bool) -> str:
    """The details of one entry in one line."""
    parts: list[str] = []
    if e.source == "activity":
        if not e.done:
            parts.append("[" + _("planned") + "]")
        if e.outcome:
            parts.append(labels.label(labels.OUTCOMES, e.outcome) + ":")
        if e.subject:
            parts.append(e.subject)
        if e.result:
            parts.append(("— " if e.subject else "") + e.result)
    elif e.source == "note":
        parts.append(e.subject)
    elif e.source == "deal":
        parts.append(_("{title}, {amount}, stage {stage}").format(
            title=e.subject, amount=formatting.money(e.amount_minor or 0, e.currency or "RUB"), stage=e.to_stage or ""))
    elif e.source == "stage":
        parts.append(_("{old} → {new}: {deal}").format(deal=e.deal or "", old=e.from_stage or "", new=e.to_stage or ""))
        if e.subject:
            parts.append("— " + e.subject)
    if e.deal and e.source in ("activity", "note"):
        parts.append("(" + _("deal {title}").format(title=e.deal) + ")")
    if company_card and e.person:
        parts.insert(0, e.person + ":")
    return " ".join(p for p in parts if p).replace("\n", " ")


class HistoryTable(DbCaller, DataTable):
    BINDINGS = [
        Binding("L", "more", "More history", id="card.more_history"),
    ]

    class Loaded(Message):
        pass

    def __init__(self, kind: str, record_id: int, **kwargs) -> None:
        super().__init__(cursor_type="row", zebra_stripes=True, **kwargs)
        translate_bindings(self)
        self.kind = kind
        self.record_id = record_id
        self.entries: list[Entry] = []
        self.next_cursor: tuple | None = None
        self.complete = False
        self._loading = False
        self._generation = 0
        self._width = 0
        self.loads = 0  # pages received (tests)

    def reload(self) -> None:
        self._generation += 1
        self.entries = []
        self.next_cursor = None
        self.complete = False
        self._load()

    def _load(self) -> None:
        self._loading = True
        gen = self._generation
        cursor = self.next_cursor

        def done(page: HistoryPage) -> None:
            if gen != self._generation:
                return
            self._loading = False
            self.loads += 1
            first = cursor is None
            self.entries = (page.entries if first else self.entries + page.entries)
            self.next_cursor = page.next_cursor
            self.complete = page.next_cursor is None
            if first:
                self._redraw()
            else:
                self.add_rows([self._cells(e) for e in page.entries])
            self.post_message(self.Loaded())

        self.run_db(history.timeline, self.app.session.actor, self.kind, self.record_id, cursor=cursor, limit=PAGE,
                    done=done, group=f"history-{id(self)}")

    def action_more(self) -> None:
        if not self._loading and not self.complete:
            self._load()

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.cursor_row >= self.row_count - MARGIN:
            self.action_more()

    def on_resize(self) -> None:
        if self.size.width != self._width:
            self._redraw()

    def _widths(self) -> list[tuple[str, int]]:
        width = self.size.width or self.app.size.width
        when_w, what_w, who_w = 14, 14, 12 if width >= 100 else 10
        text_w = max(20, width - 2 - 8 - when_w - what_w - who_w)
        return [("when", when_w), ("what", what_w), ("text", text_w), ("who", who_w)]

    def _cells(self, e: Entry) -> list[str]:
        app = self.app
        return [
            Text(labels.full_when(app, e.at)),
            Text(labels.label(labels.ACTIVITY_KINDS, e.kind)),
            Text(entry_text(e, self.kind == "company")),
            Text(e.who or ""),
        ]

    def _redraw(self) -> None:
        self._width = self.size.width
        cursor = self.cursor_row
        with self.app.batch_update():
            self.clear(columns=True)
            for key, w in self._widths():
                self.add_column(_(TITLES[key]), width=w, key=key)
            self.add_rows([self._cells(e) for e in self.entries])
        if self.entries:
            self.move_cursor(row=min(max(cursor, 0), len(self.entries) - 1), animate=False)

    def current_entry(self) -> Entry | None:
        if 0 <= self.cursor_row < len(self.entries):
            return self.entries[self.cursor_row]
        return None
