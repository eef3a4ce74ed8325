"""Universal search: an Input that searches as you type (debounced) and a table of hits."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual.binding import Binding
from textual.message import Message
from textual.timer import Timer
from textual.widgets import DataTable, Input

from tuicrm.i18n import N_, _
from tuicrm.ui.bindings import translate_bindings
from tuicrm.ui.dbcall import DbCaller
from tuicrm.ui.widgets import labels

DEBOUNCE = 0.15
KIND_LABELS = {"person": N_("person"), "company": N_("company")}

if TYPE_CHECKING:
    from tuicrm.services.search import CardHit


class SearchInput(DbCaller, Input):
    """Types a query; after a short pause runs services.search (exclusive: a newer query cancels an
    older one) and posts Results."""

    BINDINGS = [
        Binding("down", "results", "Results", show=False),
        Binding("escape", "clear", "Clear search", id="search.clear"),
    ]

    class Results(Message):
        def __init__(self, query: str, hits: list[CardHit]) -> None:
            super().__init__()
            self.query = query
            self.hits = hits

    class Leave(Message):
        """Escape on an empty box, or Down: hand focus back to the pane."""

        def __init__(self, to_results: bool) -> None:
            super().__init__()
            self.to_results = to_results

    class Submit(Message):
        pass

    def __init__(self, **kwargs) -> None:
        super().__init__(placeholder=_("Search: phone, name, company, email, tax id, #tag"), **kwargs)
        translate_bindings(self)
        self._timer: Timer | None = None
        self.searches = 0  # queries run (tests)

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        if self._timer is not None:
            self._timer.stop()
        text = event.value.strip()
        if not text:
            self.post_message(self.Results("", []))
            return
        self._timer = self.set_timer(DEBOUNCE, lambda: self.run_search(text))

    def run_search(self, text: str) -> None:
        if text != self.value.strip():
            return
        app = self.app
        settings = app.session.settings

        def done(hits: list[CardHit]) -> None:
            if text == self.value.strip():
                self.searches += 1
                self.post_message(self.Results(text, hits))

        # here: loaded by the first search, not at start
        from tuicrm.services import search as search_svc

        self.run_db(search_svc.search, app.session.actor, text, limit=50, region=settings.phone_region or "RU",
                    done=done, group="search")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if self._timer is not None:
            self._timer.stop()
        self.post_message(self.Submit())

    def action_results(self) -> None:
        self.post_message(self.Leave(to_results=True))

    def action_clear(self) -> None:
        if self.value:
            self.value = ""
        else:
            self.post_message(self.Leave(to_results=False))


class ResultsTable(DataTable):
    BINDINGS = [
        Binding("enter", "open", "Open", id="search.open"),
    ]

    class OpenCard(Message):
        def __init__(self, kind: str, record_id: int) -> None:
            super().__init__()
            self.kind = kind
            self.record_id = record_id

    def __init__(self, **kwargs) -> None:
        super().__init__(cursor_type="row", zebra_stripes=True, **kwargs)
        translate_bindings(self)
        self.hits: list[CardHit] = []

    def show(self, hits: list[CardHit]) -> None:
        self.hits = hits
        width = self.size.width or self.app.size.width
        name_w = max(16, (width - 2 - 10 - 10 - 17) * 5 // 9)
        comp_w = max(10, width - 2 - 10 - 10 - 17 - name_w)
        with self.app.batch_update():
            self.clear(columns=True)
            self.add_column(_("Kind"), width=8, key="kind")
            self.add_column(_("Name"), width=name_w, key="name")
            self.add_column(_("Company, position"), width=comp_w, key="company")
            self.add_column(_("Phone"), width=17, key="phone")
            for h in hits:
                extra = ", ".join(x for x in (h.company, h.position) if x)
                name = h.name + (" " + _("[archived]") if h.archived else "")
                self.add_row(Text(_(KIND_LABELS[h.kind])), Text(name), Text(extra),
                             Text(labels.phone_text(self.app.session, h.phone_e164, h.phone_raw)))
        if hits:
            self.move_cursor(row=0, animate=False)

    def current_hit(self) -> CardHit | None:
        if 0 <= self.cursor_row < len(self.hits):
            return self.hits[self.cursor_row]
        return None

    def action_open(self) -> None:
        hit = self.current_hit()
        if hit is not None:
            self.post_message(self.OpenCard(hit.kind, hit.id))
