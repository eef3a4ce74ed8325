"""The Funnel pane."""

from __future__ import annotations

from tuicrm.i18n import N_
from tuicrm.ui.screens.placeholder import PendingPane


class FunnelScreen(PendingPane):
    PANE_TITLE = N_("Funnel")
    WHAT = N_("Deals on a kanban board by stage.")
