"""Bindings in the user's language.

Binding descriptions are written in English (the message ids) in ``BINDINGS``; each screen and
the app translate their own copy on creation, so two apps in one process can differ in language
(tests render both). Textual keeps the per-instance map in ``_bindings`` (read-only use here).
"""

from __future__ import annotations

import dataclasses

from textual.dom import DOMNode

from tuicrm.i18n import _


def translate_bindings(node: DOMNode) -> None:
    bindings = node._bindings.key_to_bindings  # noqa: SLF001 - instance copy made by DOMNode.__init__
    for key, items in bindings.items():
        bindings[key] = [
            dataclasses.replace(b, description=_(b.description) if b.description else b.description,
                                tooltip=_(b.tooltip) if b.tooltip else b.tooltip)
            for b in items
        ]
