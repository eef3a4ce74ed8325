"""Shown instead of a broken layout when the terminal is smaller than 80×24."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.screen import ModalScreen
from textual.widgets import Static

from tuicrm.i18n import _

MIN_WIDTH, MIN_HEIGHT = 80, 24


class TooSmallScreen(ModalScreen[None]):
    def compose(self) -> ComposeResult:
        yield Static(id="too-small-text")

    def on_mount(self) -> None:
        self.update_text()

    def on_resize(self) -> None:
        self.update_text()

    def update_text(self) -> None:
        w, h = self.app.size
        self.query_one("#too-small-text", Static).update(
            _("The terminal is too small: tuicrm needs at least {mw}×{mh}, this one is {w}×{h}.").format(
                mw=MIN_WIDTH, mh=MIN_HEIGHT, w=w, h=h
            )
        )
