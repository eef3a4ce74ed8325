"""The Reports pane."""

from __future__ import annotations

from tuicrm.i18n import N_
from tuicrm.ui.screens.placeholder import PendingPane


class ReportsScreen(PendingPane):
    PANE_TITLE = N_("Reports")
    WHAT = N_("Charts and tables of activity, funnel and forecast.")
