"""Open a dialog from the Contacts pane or a card by module and class name.

The dialogs live in ``tuicrm.ui.modals`` (built in parallel with the panes): importing them only
when a key is pressed keeps the pane loading, and says so clearly if one is missing.
"""

from __future__ import annotations

import importlib
from typing import Any, Callable

from tuicrm.i18n import _


def load(module: str, name: str):
    try:
        mod = importlib.import_module(f"tuicrm.ui.modals.{module}")
        return getattr(mod, name)
    except (ImportError, AttributeError):
        return None


def push(screen, module: str, name: str, *args, then: Callable[[Any], None] | None = None, **kwargs) -> bool:
    """Push ``tuicrm.ui.modals.<module>.<name>(*args, **kwargs)``; ``then(result)`` when it closes."""
    cls = load(module, name)
    if cls is None:
        screen.app.notify(_("This action is not available in this build yet."), severity="warning")
        return False
    screen.app.push_screen(cls(*args, **kwargs), then)
    return True
