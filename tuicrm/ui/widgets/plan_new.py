"""A new task or call from the Plan pane: choose the client by search (modals.client_picker),
then the activity form (modals.activity_form: kind, subject, when, duration, assignee)."""

from __future__ import annotations

from typing import Callable

from tuicrm.model.enums import ActivityKind
from tuicrm.ui.widgets import modal_launch


def start_new_activity(screen, then: Callable[[int | None], None] | None = None) -> None:
    """ClientPicker → ActivityForm for that client; ``then(new id)`` after a save."""
    from tuicrm.ui.modals.client_picker import ClientPicker

    def after(result) -> None:
        if result and then:
            then(result)

    def picked(hit) -> None:
        if hit is None:
            return
        ids = {"person_id": hit.id} if hit.kind == "person" else {"company_id": hit.id}
        modal_launch.push(screen, "activity_form", "ActivityForm", kind=ActivityKind.CALL_OUT, then=after, **ids)

    screen.app.push_screen(ClientPicker(("person", "company")), picked)
