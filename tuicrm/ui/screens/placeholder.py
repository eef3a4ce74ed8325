"""Panes that are not built yet show what they will hold (replaced pane by pane)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Footer, Header, Static

from tuicrm.i18n import _
from tuicrm.ui.screens.base import CrmScreen


class PendingPane(CrmScreen):
    PANE_TITLE = ""
    WHAT = ""

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(f"[b]{_(self.PANE_TITLE)}[/b]\n\n{_(self.WHAT)}", classes="pending-pane")
        yield Footer()
