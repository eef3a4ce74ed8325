"""The Plan pane."""

from __future__ import annotations

from tuicrm.i18n import N_
from tuicrm.ui.screens.placeholder import PendingPane


class PlanScreen(PendingPane):
    PANE_TITLE = N_("Plan")
    WHAT = N_("The day's calls, meetings and tasks.")
