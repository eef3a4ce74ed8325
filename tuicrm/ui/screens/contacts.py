"""The Contacts pane: universal search on top, the paged contacts list below; Enter opens a card."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Header, Static

from tuicrm.i18n import N_, _
from tuicrm.services.contact_list import ListFilter
from tuicrm.ui.screens.base import CrmScreen
from tuicrm.ui.widgets import modal_launch
from tuicrm.ui.widgets.contacts_table import ContactsTable
from tuicrm.ui.widgets.footer import CrmFooter
from tuicrm.ui.widgets.search_box import ResultsTable, SearchInput

SORT_LABELS = {"name": N_("by name"), "last": N_("by last contact"), "next": N_("by next task")}
SORT_ORDER = ("name", "last", "next")


class ContactsScreen(CrmScreen):
    PANE_TITLE = N_("Contacts")
    AUTO_FOCUS = "#contacts-table"  # the list has the keys from the first frame (no focus flip)
    BINDINGS = [
        Binding("k", "toggle_kind", "Persons/companies", id="contacts.kind"),
        Binding("s", "cycle_sort", "Sort", id="contacts.sort"),
        Binding("f", "filter", "Filter", id="contacts.filter"),
        Binding("x", "toggle_no_next", "No next step", id="contacts.no_next"),
        Binding("n", "new_person", "New person", id="contacts.new_person"),
        Binding("N", "new_company", "New company", id="contacts.new_company"),
        Binding("R", "reset_filters", "Clear filters", id="contacts.reset", show=False),
        Binding("A", "toggle_archived", "Show archived", id="contacts.archived", show=False),
    ]

    _last_query = ""

    def compose(self) -> ComposeResult:
        yield Header()
        yield SearchInput(id="search")
        yield Static(id="contacts-status")
        # the search results table (#search-results) is mounted here, hidden, on first use
        # (the search box focused) or once the first page is shown: not part of the first frame
        yield ContactsTable(id="contacts-table")
        yield CrmFooter()

    def on_mount(self) -> None:
        self.table.load_first_page()
        self.update_status()

    # --- parts ---------------------------------------------------------------------------------
    @property
    def table(self) -> ContactsTable:
        return self.query_one("#contacts-table", ContactsTable)

    _results: ResultsTable | None = None

    @property
    def results(self) -> ResultsTable:
        """The search results table, mounted (hidden, before the list) the first time it is asked for."""
        if self._results is None:
            self._results = ResultsTable(id="search-results", classes="hidden")
            self.mount(self._results, before=self.table)
        return self._results

    def on_descendant_focus(self, event) -> None:
        if isinstance(event.widget, SearchInput):
            self.results  # noqa: B018 - mounted before the first query's hits arrive

    @property
    def search_input(self) -> SearchInput:
        return self.query_one("#search", SearchInput)

    def focus_search(self) -> None:
        self.search_input.focus()

    def update_status(self, query: str | None = None, hits: int | None = None) -> None:
        status = self.query_one("#contacts-status", Static)
        if query:
            text = _("Found: {n} for “{query}” — Enter opens, Esc returns to the list").format(n=hits or 0, query=query)
            if not hits:
                text = _("Nothing found for “{query}”").format(query=query)
            status.update(Text(text))  # the typed query, shown back: text, never markup
            return
        t = self.table
        what = _("Persons") if t.kind == "person" else _("Companies")
        parts = [what, _(SORT_LABELS[t.sort])]
        f = t.flt
        if f.owner == "mine":
            parts.append(_("mine"))
        elif f.owner not in ("all", "", None):
            parts.append(_("owner #{id}").format(id=f.owner))
        if f.tag:
            parts.append("#" + f.tag)
        if f.segment:
            parts.append(_("segment {name}").format(name=f.segment))
        if f.no_next_step:
            parts.append(_("no next step"))
        if f.include_archived:
            parts.append(_("with archived"))
        status.update(Text(" · ".join(parts)))  # a tag or segment name is the user's text

    # --- search --------------------------------------------------------------------------------
    def on_search_input_results(self, event: SearchInput.Results) -> None:
        showing = bool(event.query)
        self._last_query = event.query
        self.results.set_class(not showing, "hidden")
        self.table.set_class(showing, "hidden")
        if showing:
            self.results.show(event.hits)
        self.update_status(event.query, len(event.hits))

    def on_search_input_submit(self, event: SearchInput.Submit) -> None:
        text = self.search_input.value.strip()
        if not text:
            self.table.focus()
            return
        if self.results.hits and not self.results.has_class("hidden") and self._last_query == text:
            self.results.action_open()
            return
        # Enter before the debounce fired: search now, then open the first hit
        def done(hits) -> None:
            self.on_search_input_results(SearchInput.Results(text, hits))
            if hits:
                self.results.action_open()

        from tuicrm.services import search as search_svc

        self.run_db(search_svc.search, self.actor, text, limit=50, region=self.settings.phone_region or "RU",
                    done=done, group="search")

    def on_search_input_leave(self, event: SearchInput.Leave) -> None:
        if event.to_results and not self.results.has_class("hidden"):
            self.results.focus()
        elif not event.to_results:
            self.table.focus()

    def on_key(self, event) -> None:
        # Escape in the results: back to the list (the query is cleared)
        if event.key == "escape" and self._results is not None and self.focused is self._results:
            event.stop()
            self.search_input.value = ""
            self.table.focus()

    # --- open a card ---------------------------------------------------------------------------
    def on_contacts_table_open_card(self, event: ContactsTable.OpenCard) -> None:
        self.open_card(event.kind, event.record_id)

    def on_results_table_open_card(self, event: ResultsTable.OpenCard) -> None:
        self.open_card(event.kind, event.record_id)

    def open_card(self, kind: str, record_id: int) -> None:
        from tuicrm.ui.screens.card import CardScreen

        self.app.push_screen(CardScreen(kind, record_id))

    def on_contacts_table_loaded(self, event: ContactsTable.Loaded) -> None:
        if not self.search_input.value.strip():
            self.update_status()
        if self._results is None:
            self.set_timer(0.3, lambda: self.results)  # after the frame with the rows
        first_page_shown = getattr(self.app, "first_page_shown", None)  # CrmApp: what waits for the first page
        if callable(first_page_shown):
            first_page_shown()

    _shown = False

    def on_screen_resume(self) -> None:
        # back from a card: show changes made there (names, last/next activity); the first
        # resume is the pane being shown, with the page it has just read
        if not self._shown:
            self._shown = True
            return
        if self.is_mounted and self.table.row_count:
            self.table.reload(keep=True)

    # --- list actions --------------------------------------------------------------------------
    def action_toggle_kind(self) -> None:
        self.table.kind = "company" if self.table.kind == "person" else "person"
        self.table.reload()
        self.update_status()

    def action_cycle_sort(self) -> None:
        t = self.table
        t.sort = SORT_ORDER[(SORT_ORDER.index(t.sort) + 1) % len(SORT_ORDER)]
        t.reload()
        self.update_status()

    def _set_filter(self, flt: ListFilter | None) -> None:
        if flt is None:
            return
        self.table.flt = flt
        self.table.reload()
        self.update_status()

    def action_filter(self) -> None:
        # here: the dialog's widgets (Select…) load on first use, not at start
        from tuicrm.ui.widgets.list_filter import FilterModal

        self.app.push_screen(FilterModal(self.table.flt), self._set_filter)

    def action_toggle_no_next(self) -> None:
        f = self.table.flt
        self._set_filter(ListFilter(f.owner, f.tag, f.segment, not f.no_next_step, f.include_archived))

    def action_toggle_archived(self) -> None:
        f = self.table.flt
        self._set_filter(ListFilter(f.owner, f.tag, f.segment, f.no_next_step, not f.include_archived))

    def action_reset_filters(self) -> None:
        self._set_filter(ListFilter())

    def _opened(self, result) -> None:
        if result:
            self.table.reload(keep=True)
            self.open_card(result.kind, result.id)

    def action_new_person(self) -> None:
        modal_launch.push(self, "person_form", "PersonForm", then=self._opened)

    def action_new_company(self) -> None:
        modal_launch.push(self, "company_form", "CompanyForm", then=self._opened)

    def commands(self):
        return [
            (_("New person"), "n", self.action_new_person),
            (_("New company"), "N", self.action_new_company),
            (_("Contacts: persons / companies"), "k", self.action_toggle_kind),
            (_("Contacts: change the sort"), "s", self.action_cycle_sort),
            (_("Contacts: filter…"), "f", self.action_filter),
            (_("Contacts: only without a next step"), "x", self.action_toggle_no_next),
            (_("Contacts: show or hide archived"), "A", self.action_toggle_archived),
            (_("Contacts: clear filters"), "R", self.action_reset_filters),
        ]
