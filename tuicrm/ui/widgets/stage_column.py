"""A stage column: header (name, count, Σ amount, stale count) and a page of deal cards with a
"+N more" row. Cards are a pool of widgets updated in place (never rebuilt wholesale)."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.widgets import Static

from tuicrm.i18n import _
from tuicrm.services.funnel import Column
from tuicrm.ui.widgets.deal_card_widget import DealCardWidget
from tuicrm.ui.widgets.deal_card_widget import money as cached_money


class ColumnBody(VerticalScroll, can_focus=False):
    pass


class MoreRow(Static):
    DEFAULT_CLASSES = "more-row"


class StageColumn(Vertical):
    DEFAULT_CLASSES = "stage-column"

    def __init__(self, column: Column, *, currency: str = "RUB", today=None, zone=None) -> None:
        super().__init__(id=f"stage-{column.stage_id}")
        self.column = column
        self.currency = currency
        self.today = today
        self.zone = zone
        self.cards: list[DealCardWidget] = []

    def compose(self) -> ComposeResult:
        yield Static(classes="column-header")
        yield ColumnBody(classes="column-body")

    async def on_mount(self) -> None:
        await self.sync(self.column)

    def header_text(self, col: Column) -> Text:
        t = Text(no_wrap=True, overflow="ellipsis")
        t.append(col.name, style="bold")
        if col.kind != "open" or col.collapsed:
            t.append(" " + ("▸" if col.collapsed else "▾"))
        t.append("\n")
        money = cached_money(col.amount_minor, self.currency)
        t.append(f"{col.count}\n{money}" if col.collapsed else f"{col.count} · {money}")
        if col.kind == "open":
            t.append(" ")  # one space: at 80×24 a column is 26 cells, "14 · RUB 15,046,000 ⚠ 14" fits
            if col.stale_count:
                t.append(_("⚠ {n} stale").format(n=col.stale_count), style="bold")
            else:
                t.append(f"{col.probability}%")
        return t

    async def sync(self, col: Column) -> None:
        self.column = col
        self.set_class(col.collapsed, "-collapsed")
        self.set_class(col.kind == "won", "-won")
        self.set_class(col.kind == "lost", "-lost")
        self.query_one(".column-header", Static).update(self.header_text(col))
        body = self.query_one(ColumnBody)
        cards = list(col.cards)
        for widget, info in zip(self.cards, cards):
            if widget.info != info:
                widget.show(info)
        if len(cards) > len(self.cards):
            new = [DealCardWidget(info, today=self.today, zone=self.zone, closed=col.kind != "open")
                   for info in cards[len(self.cards):]]
            self.cards.extend(new)
            more = body.query(MoreRow)
            if more:
                await body.mount_all(new, before=more.first())
            else:
                await body.mount_all(new)
        elif len(cards) < len(self.cards):
            extra = self.cards[len(cards):]
            self.cards = self.cards[: len(cards)]
            await body.remove_children(extra)
        more_rows = list(body.query(MoreRow))
        if col.more:
            label = _("+{n} more (Enter)").format(n=col.more)
            if more_rows:
                more_rows[0].update(label)
            else:
                await body.mount(MoreRow(label))
        elif more_rows:
            await more_rows[0].remove()

    @property
    def more_row(self) -> MoreRow | None:
        rows = list(self.query(MoreRow))
        return rows[0] if rows else None

    def rows(self) -> int:
        """Selectable rows: the cards, then the "+N more" row if any."""
        return len(self.cards) + (1 if self.column.more else 0)

    def row_widget(self, index: int):
        if 0 <= index < len(self.cards):
            return self.cards[index]
        if index == len(self.cards) and self.column.more:
            return self.more_row
        return None
