"""`?`: every binding of the current pane and of the app, in the user's language."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import Static

from tuicrm.i18n import _
from tuicrm.ui.screens.base import CrmModal


def _key_label(app, binding: Binding) -> str:
    return binding.key_display or app.get_key_display(binding)


class HelpScreen(CrmModal[None]):
    BINDINGS = [
        Binding("escape,q,question_mark", "dismiss", "Close"),
    ]

    def __init__(self, pane_screen) -> None:
        super().__init__()
        self.pane_screen = pane_screen

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-body"):
            yield Static(self._text(), id="help-text")

    def _text(self) -> str:
        from rich.markup import escape

        sections = []
        seen: set[tuple[str, str]] = set()
        title = getattr(self.pane_screen, "PANE_TITLE", "") or ""
        for heading, node in ((_(title) if title else _("This pane"), self.pane_screen), (_("Everywhere"), self.app)):
            lines = []
            for bindings in node._bindings.key_to_bindings.values():  # noqa: SLF001
                for b in bindings:
                    if not b.description or (b.key, b.action) in seen:
                        continue
                    seen.add((b.key, b.action))
                    lines.append(f"  [b]{escape(_key_label(self.app, b)):<12}[/b] {escape(b.description)}")
            if lines:
                sections.append(f"[b u]{escape(heading)}[/]\n" + "\n".join(lines))
        sections.append(_("Ctrl+P opens the command palette: type any command by name."))
        return "\n\n".join(sections)

    def action_dismiss(self) -> None:
        self.dismiss(None)
