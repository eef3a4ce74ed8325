"""A Footer that rebuilds its keys only when the keys it would show have changed.

Textual's Footer recomposes every key (a widget each, with its styles) after each bindings signal.
A screen sends several for one change — on start the Contacts pane sent three (the focus, again
after the next refresh, the screen's resume), so its eleven keys were built three times before
the first frame. Here the signals that arrive while a rebuild is pending are merged, and a
rebuild is skipped when the keys to show are the same as those shown. What is shown is unchanged.
"""

from __future__ import annotations

from textual.screen import Screen
from textual.widgets import Footer
from textual.widgets._footer import FooterKey


class CrmFooter(Footer):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._shown: tuple | None = None
        self._pending = False

    def _keys(self) -> tuple:
        """What compose() would show: each shown binding with its state, and the palette key."""
        keys = tuple(
            (binding.key, binding.action, binding.description, binding.key_display, binding.group, enabled, tooltip)
            for (_node, binding, enabled, tooltip) in self.screen.active_bindings.values()
            if binding.show
        )
        return keys, self.show_command_palette, self.compact

    def compose(self):
        if self._bindings_ready:
            self._shown = self._keys()
        for widget in super().compose():
            if isinstance(widget, FooterKey) and not widget.has_class("-command-palette"):
                # Footer binds each key's `compact` to its own; a key starts compact and is
                # switched back, each switch restyling the key (two restyles a key at each
                # rebuild). Start it with the footer's value: the same classes, no restyles.
                widget.set_reactive(FooterKey.compact, self.compact)
                widget.set_class(self.compact, "-compact", update=False)
            yield widget

    def bindings_changed(self, screen: Screen) -> None:
        self._bindings_ready = True
        if not screen.app.app_focus or not (self.is_attached and screen is self.screen) or self._pending:
            return
        if self._keys() == self._shown:
            return
        self._pending = True
        self.call_after_refresh(self._rebuild)

    async def _rebuild(self) -> None:
        self._pending = False
        if self.is_attached and self._keys() != self._shown:
            await self.recompose()
