"""The kanban board: stage columns side by side in a horizontal scroll (fixed-width columns;
the focused one is kept in view). Not focusable: the Funnel screen owns the keys."""

from __future__ import annotations

from textual.containers import HorizontalScroll

from tuicrm.services.funnel import Board
from tuicrm.ui.widgets.stage_column import StageColumn


class BoardView(HorizontalScroll, can_focus=False):
    DEFAULT_CLASSES = "board"

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.columns: list[StageColumn] = []
        self.data: Board | None = None

    async def sync(self, board: Board, *, today=None, zone=None) -> None:
        """Update in place when the stages are the same; rebuild only when the pipeline changed."""
        same = [c.column.stage_id for c in self.columns] == [c.stage_id for c in board.columns]
        self.data = board
        if same:
            for widget, col in zip(self.columns, board.columns):
                if widget.column is not col:  # a partial refresh hands back the untouched columns as they were
                    await widget.sync(col)
            return
        await self.remove_children()
        self.columns = [StageColumn(col, currency=board.currency, today=today, zone=zone) for col in board.columns]
        await self.mount_all(self.columns)

    def mounted_cards(self) -> int:
        return sum(len(c.cards) for c in self.columns)
