"""The Contacts pane."""

from __future__ import annotations

from tuicrm.i18n import N_
from tuicrm.ui.screens.placeholder import PendingPane


class ContactsScreen(PendingPane):
    PANE_TITLE = N_("Contacts")
    WHAT = N_("Organizations and their people, cards with full history.")
