"""The contacts list: a DataTable holding a small window of keyset pages, refilled as the cursor
nears either end — never the whole table, however large the base."""

from __future__ import annotations

import re

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.binding import Binding
from textual.message import Message
from textual.widgets import DataTable

from tuicrm.i18n import N_, _
from tuicrm.services import contact_list
from tuicrm.services.contact_list import ListFilter, ListRow, Page
from tuicrm.ui.bindings import translate_bindings
from tuicrm.ui.dbcall import DbCaller
from tuicrm.ui.widgets import labels

PAGE = 100
WINDOW_PAGES = 3  # at most 300 rows in the widget
MARGIN = 10  # load the neighbour page when the cursor is this close to an edge
WIDE = 110  # from this width on, company/position/owner get their own columns

_NOT_PLAIN = re.compile(r"[\x00-\x1f\x7f]")  # new lines, tabs, control characters: DataTable renders those cells

COLUMN_TITLES = {
    "name": N_("Name"), "company": N_("Company"), "position": N_("Position"), "company_pos": N_("Company, position"),
    "segment": N_("Segment"), "industry": N_("Industry"), "segment_ind": N_("Segment, industry"), "phone": N_("Phone"),
    "owner": N_("Owner"), "last": N_("Contacted"), "next": N_("Next task"),
}


def _column_label(title: str) -> Text | str:
    """The column's label as DataTable makes it from a string (``Text.from_markup``: markup and
    emoji codes), made directly when the title has neither — the same Text, without loading
    rich's table of emoji codes (≈ 3 ms at start; a test compares both for every title)."""
    if "[" in title or ":" in title:
        return title
    return Text(title)


def columns_for(kind: str, width: int) -> list[tuple[str, int]]:
    """(column, content width) fitted to ``width`` cells (padding 2 a column, scrollbar 2)."""
    wide = width >= WIDE
    if kind == "person":
        text_cols = ["name", "company", "position", "owner"] if wide else ["name", "company_pos"]
        weights = {"name": 5, "company": 4, "position": 3, "owner": 3, "company_pos": 4}
    else:
        text_cols = ["name", "segment", "industry", "owner"] if wide else ["name", "segment_ind"]
        weights = {"name": 6, "segment": 3, "industry": 3, "owner": 3, "segment_ind": 4}
    fixed = {"phone": 17, "last": 9, "next": 18 if wide else 13}
    order = text_cols[:1] + text_cols[1:3] + ["phone"] + text_cols[3:] + ["last", "next"]
    if not wide:
        order = text_cols + ["phone", "last", "next"]
    avail = max(width - 2 - 2 * len(order) - sum(fixed.values()), 20)
    total_w = sum(weights[c] for c in text_cols)
    widths = {c: max(6, avail * weights[c] // total_w) for c in text_cols}
    widths.update(fixed)
    return [(c, widths[c]) for c in order]


class ContactsTable(DbCaller, DataTable):
    BINDINGS = [
        Binding("enter", "open", "Open", id="contacts.open"),
    ]

    class OpenCard(Message):
        def __init__(self, kind: str, record_id: int) -> None:
            super().__init__()
            self.kind = kind
            self.record_id = record_id

    class Loaded(Message):
        """A page arrived (for the status line and tests)."""

    def __init__(self, **kwargs) -> None:
        super().__init__(cursor_type="row", zebra_stripes=True, **kwargs)
        translate_bindings(self)
        self.kind = "person"
        self.sort = "name"
        self.flt = ListFilter()
        self._starts: list[tuple | None] = [None]  # cursor each page starts after (page n → _starts[n])
        self._pages: dict[int, Page] = {}
        self._lo = 0
        self._loading = False
        self._generation = 0
        self._columns: list[tuple[str, int]] = []
        self._width = 0
        self._expected_row: int | None = None
        self.pages_loaded = 0  # how many page queries ran (tests, bench)

    # --- public ------------------------------------------------------------------------------
    def reload(self, *, keep: bool = False) -> None:
        """Start again from the first page (after a change of kind, sort or filter, or a card edit)."""
        self._generation += 1
        current = self.current_key() if keep else None
        if not keep:
            self._starts = [None]
            self._lo = 0
        self._pages = {}
        self._fetch(self._lo, reset=True, focus_key=current)

    def current_row(self) -> ListRow | None:
        idx = self.cursor_row
        rows = self._rows()
        if 0 <= idx < len(rows):
            return rows[idx]
        return None

    def current_key(self) -> str | None:
        row = self.current_row()
        return f"{row.kind}:{row.id}" if row else None

    @property
    def window(self) -> tuple[int, int]:
        pages = sorted(self._pages)
        return (pages[0], pages[-1]) if pages else (0, -1)

    # --- paging --------------------------------------------------------------------------------
    def _rows(self) -> list[ListRow]:
        out: list[ListRow] = []
        for n in sorted(self._pages):
            out += self._pages[n].rows
        return out

    def _fetch(self, n: int, *, reset: bool = False, focus_key: str | None = None, focus_index: int | None = None) -> None:
        if n < 0 or n >= len(self._starts):
            return
        self._loading = True
        gen = self._generation
        app = self.app

        def done(page: Page) -> None:
            self._arrived(gen, n, page, reset=reset, focus_key=focus_key, focus_index=focus_index)

        self._rows_before_change = self._rows()
        self.run_db(
            contact_list.page, app.session.actor, self.kind, sort=self.sort, flt=self.flt, after=self._starts[n],
            limit=PAGE, done=done, error=self._failed, group="contacts-list",
        )

    def _arrived(self, gen: int, n: int, page: Page, *, reset: bool, focus_key: str | None = None,
                 focus_index: int | None = None) -> None:
        if gen != self._generation:
            return
        self.pages_loaded += 1
        self._loading = False
        if reset:
            self._pages = {}
        self._pages[n] = page
        if page.next_cursor is not None and len(self._starts) == n + 1:
            self._starts.append(page.next_cursor)
        elif page.next_cursor is None:
            del self._starts[n + 1:]
        old_rows = self._rows_before_change
        self._trim(towards=n)
        self._fill(focus_key=focus_key, focus_index=focus_index, old_rows=old_rows)
        self.post_message(self.Loaded())

    def load_first_page(self) -> None:
        """The first page at once, on this thread — what the pane does when it is first mounted:
        the first frame is drawn with the rows (one frame, not a frame without them and another
        when a worker brings them). The query is the one a worker runs (≈ 20–40 ms on the
        large base, the app not yet shown), once, on the connection the session has just used.
        Should it fail, the usual worker path runs it again, with its retries and notices."""
        self._generation += 1
        self._starts = [None]
        self._lo = 0
        self._pages = {}
        self._rows_before_change = []
        try:
            page = contact_list.page(self.app.session.actor, self.kind, sort=self.sort, flt=self.flt, after=None,
                                     limit=PAGE)
        except Exception:  # noqa: BLE001 - reload() reports it (a notice, a retry), as for any page
            self.reload()
            return
        self._arrived(self._generation, 0, page, reset=True)

    def _failed(self, exc) -> None:
        self._loading = False
        self.app.notify(str(exc), severity="error")

    def _trim(self, towards: int) -> None:
        while len(self._pages) > WINDOW_PAGES:
            lo, hi = self.window
            del self._pages[hi if towards == lo else lo]

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if self._expected_row is not None:
            # events from a refill (clear → row 0 → the kept row) are not the user's moves
            if event.cursor_row == self._expected_row:
                self._expected_row = None
            return
        self._load_near(event.cursor_row)

    def _load_near(self, row: int) -> None:
        """Fetch the neighbour page when ``row`` is close to an edge of the rows held."""
        if self._loading or not self._pages or self._expected_row is not None:
            return
        lo, hi = self.window
        if row >= self.row_count - MARGIN and hi + 1 < len(self._starts):
            self._fetch(hi + 1)
        elif row < MARGIN and lo > 0:
            self._fetch(lo - 1)

    # A key that cannot move the cursor (Down or PageDown on the last row held, Up on the first)
    # highlights nothing, so the edge is checked after each move key too: a page that was not
    # fetched on the way (a refill was still settling, or the fetch failed) is fetched then.
    def action_cursor_down(self) -> None:
        super().action_cursor_down()
        self._load_near(self.cursor_row)

    def action_cursor_up(self) -> None:
        super().action_cursor_up()
        self._load_near(self.cursor_row)

    def action_page_down(self) -> None:
        super().action_page_down()
        self._load_near(self.cursor_row)

    def action_page_up(self) -> None:
        super().action_page_up()
        self._load_near(self.cursor_row)

    # --- drawing ---------------------------------------------------------------------------------
    def on_resize(self) -> None:
        if self.size.width != self._width:
            self._fill(focus_key=self.current_key())

    def _ensure_columns(self) -> None:
        width = self.size.width or self.app.size.width
        cols = columns_for(self.kind, width)
        if cols != self._columns:
            self.clear(columns=True)
            for name, w in cols:
                self.add_column(_column_label(_(COLUMN_TITLES[name])), width=w, key=name)
            self._columns = cols
        self._width = width

    def _cells(self, r: ListRow) -> list[str]:
        app = self.app
        name = r.name + (" " + _("[archived]") if r.archived else "")
        nxt = ""
        if r.next_activity_at:
            nxt = labels.when(app, r.next_activity_at, with_time=self._width >= WIDE or None)
            if r.next_subject:
                nxt += " " + (_(labels.ACTIVITY_KINDS[r.next_subject]) if r.next_subject in labels.ACTIVITY_KINDS else r.next_subject)
        values = {
            "name": name,
            "company": r.company or "",
            "position": r.position or "",
            "company_pos": ", ".join(x for x in (r.company, r.position) if x),
            "segment": r.segment or "",
            "industry": r.position or "",
            "segment_ind": ", ".join(x for x in (r.segment, r.position) if x),
            "phone": labels.phone_text(app.session, r.phone_e164, r.phone_raw),
            "owner": r.owner or "",
            "last": labels.when(app, r.last_contact_at, with_time=False),
            "next": nxt,
        }
        return [Text(values[c]) for c, _w in self._columns]

    def _fill(self, *, focus_key: str | None = None, focus_index: int | None = None, old_rows=None) -> None:
        old_index = self.cursor_row
        if old_rows is None:
            old_rows = self._rows()
        old_key = focus_key
        if old_key is None and 0 <= old_index < len(old_rows):
            old_key = f"{old_rows[old_index].kind}:{old_rows[old_index].id}"
        old_first = old_rows[0] if old_rows else None
        self._ensure_columns()
        rows = self._rows()
        with self.app.batch_update():
            self.clear()
            self.add_rows([self._cells(r) for r in rows])
        keys = [f"{r.kind}:{r.id}" for r in rows]
        target = 0
        if old_key in keys:
            target = keys.index(old_key)
        elif focus_index is not None:
            target = focus_index
        elif old_first is not None and rows and f"{old_first.kind}:{old_first.id}" in keys:
            target = keys.index(f"{old_first.kind}:{old_first.id}") + old_index
        if rows:
            target = min(target, len(rows) - 1)
            self._expected_row = target
            self.move_cursor(row=target, animate=False)
            self.set_timer(0.5, self._settle)

    def _update_dimensions(self, new_rows) -> None:
        """DataTable measures every new cell (``textual.render.measure``: 500 for a page, ≈ 10 ms
        at start) to widen auto-width columns; every column here has a fixed width and every row
        height 1, so the measures cannot change anything: only the virtual size is computed, as
        DataTable computes it (Textual is pinned; a test compares the two). Anything else — a
        row label, an auto-height row, an auto-width column — goes to DataTable."""
        rows = self.rows
        if any(column.auto_width for column in self.columns.values()) or any(
                (row := rows.get(key)) is not None and (row.label is not None or row.auto_height) for key in new_rows):
            super()._update_dimensions(new_rows)
            return
        from textual.geometry import Size

        data_cells_width = sum(column.get_render_width(self) for column in self.columns.values())
        header_height = self.header_height if self.show_header else 0
        self.virtual_size = Size(data_cells_width + self._row_label_column_width, self._total_row_height + header_height)

    def _render_cell(self, row_index: int, column_index: int, base_style, width: int, cursor: bool = False,
                     hover: bool = False):
        """DataTable's cell rendering (``Styled(Padding(cell, (0, padding)), pre, post)`` through
        rich's console: ≈ 0.1 ms a cell, 10 ms for the first screen's 90) made directly for the
        cells this table holds — a plain one-line Text, cropped to its column as rich crops it —
        as the same segments with the same styles; any other cell (the header, a label, spans, a
        style, justify/overflow, tabs or control characters, a row not 1 high) goes to DataTable. Textual is pinned; a test compares both for every cell of the
        list in every cursor/hover/zebra state and for awkward text (wide, combining, empty,
        cropped)."""
        lines = self._plain_cell_lines(row_index, column_index, base_style, width, cursor, hover)
        if lines is None:
            return super()._render_cell(row_index, column_index, base_style, width, cursor, hover)
        return lines

    def _plain_cell_lines(self, row_index, column_index, base_style, width, cursor, hover):
        if row_index < 0 or column_index < 0:
            return None
        row_key = self._row_locations.get_key(row_index)
        column_key = self._column_locations.get_key(column_index)
        cache_key = (row_key, column_key, base_style, cursor, hover, self._show_hover_cursor, self._update_count,
                     self._pseudo_class_state)  # DataTable's CellCacheKey
        cache = self._cell_render_cache
        if cache_key in cache:
            return cache[cache_key]
        row = self.rows.get(row_key)
        if row is None or row.height != 1 or row.auto_height:
            return None
        cell = self._get_row_renderables(row_index)[1][column_index]
        if (type(cell) is not Text or cell._spans or cell.style or cell.justify or cell.overflow
                or cell.no_wrap is False or cell.end not in ("\n", "")):
            return None
        plain = cell.plain
        padding = self.cell_padding
        inner = width - 2 * padding
        if inner < 1 or _NOT_PLAIN.search(plain):
            return None
        used = cell_len(plain)
        if used > inner:  # Text.wrap without wrapping: truncate(inner, overflow="fold")
            plain = set_cell_size(plain, inner)
            used = cell_len(plain)
        component_style, post_style = self._get_styles_to_render_cell(
            False, False, row_index < self.fixed_rows or column_index < self.fixed_columns, hover, cursor,
            self.show_cursor, self._show_hover_cursor, self.cursor_foreground_priority == "css",
            self.cursor_background_priority == "css")
        pre_style = base_style + Style.from_meta({"row": row_index, "column": column_index}) + component_style

        def styled(style):  # Segment.apply_style(segments, style=pre_style, post_style=post_style)
            if pre_style:
                style = pre_style + style
            if post_style:
                style = style + post_style if style else post_style
            return style

        space = styled(Style.null())  # Padding's style ("none") and the text's padding
        line = []
        if padding:
            line.append(Segment(" " * padding, space))
        line.append(Segment(plain, styled(None)))  # Text.render: a Text without spans, unstyled (even "")
        if used < inner:
            line.append(Segment(" " * (inner - used), space))
        if padding:
            line.append(Segment(" " * padding, space))
        lines = [line]
        cache[cache_key] = lines
        return lines

    def _settle(self) -> None:
        self._expected_row = None
        if self.row_count:
            self._load_near(self.cursor_row)

    def action_open(self) -> None:
        row = self.current_row()
        if row is not None:
            self.post_message(self.OpenCard(row.kind, row.id))
