"""The Funnel pane: a kanban of deals by stage, moved by keys; won/lost; filters; forecast."""

from __future__ import annotations

import dataclasses
import datetime as dt
from functools import lru_cache

from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Footer, Header, Static

from tuicrm import formatting
from tuicrm.i18n import N_, _
from tuicrm.model.enums import StageKind
from tuicrm.services import deals, funnel
from tuicrm.services.base import Conflict, ServiceError
from tuicrm.services.funnel import Board, BoardFilter, CardInfo
from tuicrm.ui.screens.base import CrmScreen
from tuicrm.ui.widgets.board import BoardView
from tuicrm.ui.widgets.deal_card_widget import money

CLOSED = frozenset({StageKind.WON, StageKind.LOST})


@lru_cache(maxsize=256)
def month_label(key: str, locale: str) -> str:
    """'2026-12' → 'Dec ’26' / 'дек. 2026 г.' (babel is slow: remembered)."""
    from babel import dates

    y, m = key.split("-")
    return dates.format_skeleton("MMMyy", dt.date(int(y), int(m), 1), locale=locale)


class FunnelScreen(CrmScreen):
    PANE_TITLE = N_("Funnel")
    AUTO_FOCUS = None
    REFRESH_SECONDS = 30  # what a colleague moves shows up without a key

    BINDINGS = [
        Binding("left,h", "column(-1)", "Previous column", id="funnel.left", show=False),
        Binding("right,l", "column(1)", "Next column", id="funnel.right", show=False),
        Binding("up,k", "row(-1)", "Previous deal", id="funnel.up", show=False),
        Binding("down,j", "row(1)", "Next deal", id="funnel.down", show=False),
        Binding("shift+left,H", "move(-1)", "Stage back", id="funnel.move_back"),
        Binding("shift+right,L", "move(1)", "Stage on", id="funnel.move_on"),
        Binding("enter", "open", "Open", id="funnel.open"),
        Binding("w", "won", "Won", id="funnel.won"),
        Binding("x", "lost", "Lost", id="funnel.lost"),
        Binding("n", "new", "New deal", id="funnel.new"),
        Binding("e", "edit", "Edit", id="funnel.edit"),
        Binding("f", "filter", "Filter", id="funnel.filter"),
        Binding("c", "collapse", "Won/Lost", id="funnel.collapse"),
        Binding("r", "reload", "Refresh", id="funnel.reload", show=False),
        Binding("P", "pipeline", "Pipeline", id="funnel.pipeline", show=False),
    ]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.flt = BoardFilter()
        self._owner_name = ""  # names for the filter line (the filter itself holds ids)
        self._tag_name = ""
        self.collapsed: set[str] = set(CLOSED)
        self.limits: dict[int, int] = {}
        self.col_index = 0
        self.row_index = 0
        self.follow_deal: int | None = None
        self.data: Board | None = None
        self.loaded = 0  # boards applied (tests wait on it)
        self.forecasts = 0  # forecast lines refreshed on their own (after moves)

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(id="funnel-bar")
        yield BoardView(id="board")
        yield Static(id="forecast")
        yield Footer()

    def on_mount(self) -> None:
        self.reload()
        if self.REFRESH_SECONDS:
            self.set_interval(self.REFRESH_SECONDS, self._auto_reload)

    def on_screen_resume(self) -> None:
        if self.data is not None:
            self.reload()

    def commands(self):
        return [
            (_("Funnel: new deal"), "n", self.action_new),
            (_("Funnel: filter deals"), "f", self.action_filter),
            (_("Funnel: show or hide Won/Lost"), "c", self.action_collapse),
            (_("Funnel: edit pipeline and stages"), "P", self.action_pipeline),
            (_("Funnel: refresh"), "r", self.action_reload),
        ]

    # --- loading -----------------------------------------------------------------------------
    def _query(self, changed: set[int] | None = None) -> Board:
        """The board with the screen's filter, pages and collapsed columns; after a move only the
        ``changed`` columns are queried again (the others come from the board on screen)."""
        return funnel.board(self.actor, self.data.pipeline_id if self.data else None, self.flt,
                            limits=dict(self.limits), collapsed=frozenset(self.collapsed), now=self.crm.clock(),
                            reuse=self.data if changed else None, changed=changed, with_forecast=not changed)

    def reload(self, follow: int | None = None) -> None:
        if follow is not None:
            self.follow_deal = follow
        self.run_db(self._query, done=self.apply, group="funnel-load")

    def _auto_reload(self) -> None:
        if self.app.screen is self:
            self.reload()

    def action_reload(self) -> None:
        self.reload()

    async def apply(self, board: Board) -> None:
        if self.follow_deal is None and self.data is not None:
            current = self.selected()  # keep the cursor on the same deal when cards shift
            self.follow_deal = current.id if current is not None else None
        view = self.query_one(BoardView)
        await view.sync(board, today=self.crm.today_local(), zone=self.crm.user_zone())
        self.data = board
        self._show_bar()
        self._show_forecast()
        if self.follow_deal is not None:
            self._select_deal(self.follow_deal)
            self.follow_deal = None
        self._clamp()
        self._highlight()
        self.loaded += 1

    def _show_bar(self) -> None:
        b = self.data
        parts = [f"[b]{b.pipeline_name}[/b]"]
        parts.append(self.filter_label())
        total = sum(c.count for c in b.columns if c.kind == StageKind.OPEN)
        amount = sum(c.amount_minor for c in b.columns if c.kind == StageKind.OPEN)
        parts.append(_("open: {n} · {amount}").format(n=total, amount=money(amount, b.currency)))
        self.query_one("#funnel-bar", Static).update("  ·  ".join(parts))

    def filter_label(self) -> str:
        f = self.flt
        if f.scope == "mine":
            who = _("my deals")
        elif f.scope == "user":
            who = _("deals of {name}").format(name=self._owner_name or f"#{f.owner_id}")
        else:
            who = _("all deals")
        out = [who]
        if f.tag_id is not None:
            out.append("#" + (self._tag_name or str(f.tag_id)))
        if f.close_from or f.close_to:
            out.append(_("close {start}–{end}").format(start=formatting.short_date(f.close_from) if f.close_from else "…",
                                                       end=formatting.short_date(f.close_to) if f.close_to else "…"))
        return ", ".join(out)

    def refresh_forecast(self) -> None:
        """The forecast line alone (after a move the moved card shows first, the forecast follows)."""
        if self.data is None:
            return
        shown = self.data

        def done(fc) -> None:
            if self.data is not None and self.data.filter == shown.filter and self.data.pipeline_id == shown.pipeline_id:
                self.data = dataclasses.replace(self.data, forecast=fc)
                self._show_forecast()
                self.forecasts += 1

        self.run_db(funnel.forecast, self.actor, shown.pipeline_id, shown.filter, done=done, group="funnel-forecast")

    def _show_forecast(self) -> None:
        fc = self.data.forecast
        cur = self.data.currency
        text = _("Forecast {amount}").format(amount=money(fc.total_minor, cur))
        owners = " · ".join(f"{(name or '—').split()[0]} {money(v, cur)}" for _id, name, v in fc.by_owner[:4])
        months = " · ".join(f"{self._month(m)} {money(v, cur)}" for m, v in fc.by_month[:6])
        parts = [f"[b]{text}[/b]"]
        if owners:
            parts.append(_("by owner: {list}").format(list=owners))
        if months:
            parts.append(_("by month: {list}").format(list=months))
        self.query_one("#forecast", Static).update("  |  ".join(parts))

    @staticmethod
    def _month(key: str) -> str:
        return month_label(key, formatting.locale()) if key else _("no date")

    # --- cursor ------------------------------------------------------------------------------
    @property
    def view(self) -> BoardView:
        return self.query_one(BoardView)

    def _clamp(self) -> None:
        cols = self.view.columns
        if not cols:
            return
        self.col_index = max(0, min(self.col_index, len(cols) - 1))
        rows = cols[self.col_index].rows()
        self.row_index = max(0, min(self.row_index, rows - 1)) if rows else 0

    def _highlight(self) -> None:
        for ci, col in enumerate(self.view.columns):
            col.set_class(ci == self.col_index, "-current")
            for ri, card in enumerate(col.cards):
                card.set_class(ci == self.col_index and ri == self.row_index, "-selected")
            more = col.more_row
            if more is not None:
                more.set_class(ci == self.col_index and self.row_index == len(col.cards), "-selected")
        if self.view.columns:
            col = self.view.columns[self.col_index]
            col.scroll_visible(animate=False, immediate=True)
            widget = col.row_widget(self.row_index)
            if widget is not None:
                widget.scroll_visible(animate=False, immediate=True)

    def _select_deal(self, deal_id: int) -> None:
        for ci, col in enumerate(self.view.columns):
            for ri, card in enumerate(col.cards):
                if card.info.id == deal_id:
                    self.col_index, self.row_index = ci, ri
                    return

    def selected(self) -> CardInfo | None:
        cols = self.view.columns
        if not cols:
            return None
        col = cols[self.col_index]
        if 0 <= self.row_index < len(col.cards):
            return col.cards[self.row_index].info
        return None

    def action_column(self, step: int) -> None:
        if not self.view.columns:
            return
        self.col_index = max(0, min(len(self.view.columns) - 1, self.col_index + step))
        self._clamp()
        self._highlight()

    def action_row(self, step: int) -> None:
        if not self.view.columns:
            return
        rows = self.view.columns[self.col_index].rows()
        if rows:
            self.row_index = max(0, min(rows - 1, self.row_index + step))
        self._highlight()

    # --- actions -----------------------------------------------------------------------------
    def _need_deal(self) -> CardInfo | None:
        card = self.selected()
        if card is None:
            self.notify(_("No deal selected: move to a card with the arrow keys"), severity="warning")
        return card

    def action_open(self) -> None:
        col = self.view.columns[self.col_index] if self.view.columns else None
        if col is not None and col.column.collapsed:
            self.action_collapse()
            return
        if col is not None and self.row_index == len(col.cards) and col.column.more:
            self.limits[col.column.stage_id] = len(col.cards) + funnel.PAGE
            self.reload()
            return
        card = self._need_deal()
        if card is None:
            return
        from tuicrm.ui.screens.deal_card import DealCardScreen

        self.app.push_screen(DealCardScreen(card.id))

    def action_move(self, step: int) -> None:
        card = self._need_deal()
        if card is None or self.data is None:
            return
        cols = self.data.columns
        idx = next((i for i, c in enumerate(cols) if c.stage_id == card.stage_id), None)
        if idx is None or not 0 <= idx + step < len(cols):
            self.notify(_("No stage that way"), severity="warning")
            return
        target = cols[idx + step]
        if target.kind == StageKind.WON:
            self._won(card)
        elif target.kind == StageKind.LOST:
            self._lost(card)
        else:
            self._do(deals.move_deal, self.actor, card.id, target.stage_id, card.row_version, follow=card.id,
                     message=_("“{title}” → {stage}").format(title=card.title, stage=target.name),
                     changed={card.stage_id, target.stage_id})

    def _do(self, fn, *args, follow: int | None = None, message: str | None = None,
            changed: set[int] | None = None, **kwargs) -> None:
        """A write followed by the board refresh, in one worker; a conflict refreshes and says so."""

        def work():
            fn(*args, **kwargs)
            return self._query(changed)

        async def done(board: Board) -> None:
            self.follow_deal = follow
            await self.apply(board)
            if message:
                self.notify(message, timeout=3)
            if changed:
                self.refresh_forecast()

        self.run_db(work, done=done, error=self._write_failed, group="funnel-write")

    def _write_failed(self, exc: ServiceError) -> None:
        if isinstance(exc, Conflict):
            self.notify(_("This deal was changed by someone else meanwhile; the board is refreshed — look and try again."),
                        severity="warning", timeout=8)
            self.reload()
        else:
            self.notify(str(exc), severity="error", timeout=8)

    def action_won(self) -> None:
        card = self._need_deal()
        if card is not None:
            self._won(card)

    def action_lost(self) -> None:
        card = self._need_deal()
        if card is not None:
            self._lost(card)

    def _after_modal(self, deal_id: int):
        def callback(result) -> None:
            if result == "conflict":
                self._write_failed(Conflict("conflict"))
            elif result is True:
                self.reload(follow=deal_id)
            elif isinstance(result, int) and result:
                self.reload(follow=result)
        return callback

    def _won(self, card: CardInfo) -> None:
        from tuicrm.ui.modals.deal_won import WonModal

        self.app.push_screen(WonModal(card), self._after_modal(card.id))

    def _lost(self, card: CardInfo) -> None:
        from tuicrm.ui.modals.deal_lost import LostModal

        self.app.push_screen(LostModal(card), self._after_modal(card.id))

    def action_new(self) -> None:
        from tuicrm.ui.modals.deal_form import DealForm

        stage_id = None
        if self.data and self.view.columns:
            col = self.view.columns[self.col_index].column
            stage_id = col.stage_id if col.kind == StageKind.OPEN else None
        self.app.push_screen(DealForm(stage_id=stage_id), self._after_modal(0))

    def action_edit(self) -> None:
        card = self._need_deal()
        if card is None:
            return
        from tuicrm.ui.modals.deal_form import DealForm

        self.app.push_screen(DealForm(card=card), self._after_modal(card.id))

    def action_filter(self) -> None:
        from tuicrm.ui.modals.deal_filter import FilterModal

        def chosen(result) -> None:
            if result is None:
                return
            self.flt, self._owner_name, self._tag_name = result
            self.limits.clear()
            self.row_index = 0
            self.reload()

        self.app.push_screen(FilterModal(self.flt, today=self.crm.today_local()), chosen)

    def action_collapse(self) -> None:
        self.collapsed = set() if self.collapsed else set(CLOSED)
        self.reload()

    def action_pipeline(self) -> None:
        if not self.actor.is_admin:
            self.notify(_("Only an admin may edit pipelines and stages."), severity="error")
            return
        from tuicrm.ui.screens.pipeline_editor import PipelineEditor

        self.app.push_screen(PipelineEditor(self.data.pipeline_id if self.data else None))
