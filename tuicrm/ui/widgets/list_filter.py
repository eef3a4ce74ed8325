"""The contacts list's filter dialog: owner, tag, segment, "no next step"."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Checkbox, Label, Select

from tuicrm.i18n import _
from tuicrm.services import contact_list
from tuicrm.services.contact_list import ListFilter
from tuicrm.ui.screens.base import CrmModal


def _choices() -> dict:
    return {"owners": contact_list.owners(), "tags": contact_list.tags(), "segments": contact_list.segments()}


class FilterModal(CrmModal[ListFilter | None]):
    BINDINGS = [
        Binding("ctrl+s", "apply", "Apply", id="filter.apply"),
        Binding("escape", "cancel", "Cancel", id="filter.cancel"),
        Binding("ctrl+r", "reset", "Clear filters", id="filter.reset"),
    ]

    def __init__(self, current: ListFilter) -> None:
        super().__init__()
        self.current = current

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="filter-dialog"):
            yield Label(_("Filter the list"), classes="dialog-title")
            yield Label(_("Owner"))
            yield Select([(_("All"), "all"), (_("Mine"), "mine")], value=self.current.owner if self.current.owner in ("all", "mine") else "all",
                         allow_blank=False, id="flt-owner")
            yield Label(_("Tag"))
            yield Select([], prompt=_("any"), id="flt-tag")
            yield Label(_("Segment"))
            yield Select([], prompt=_("any"), id="flt-segment")
            yield Checkbox(_("Only without a next step"), self.current.no_next_step, id="flt-nonext")
            with Horizontal(classes="dialog-buttons"):
                yield Button(_("Apply") + " (ctrl+s)", id="apply", variant="primary")
                yield Button(_("Cancel") + " (esc)", id="cancel")

    def on_mount(self) -> None:
        self.run_db(_choices, done=self._fill, group="filter")

    def _fill(self, data: dict) -> None:
        owner = self.query_one("#flt-owner", Select)
        owner.set_options([(_("All"), "all"), (_("Mine"), "mine")] + [(Text(name), str(uid)) for uid, name in data["owners"]])
        owner.value = self.current.owner
        tag = self.query_one("#flt-tag", Select)
        tag.set_options([(Text(t), t) for t in data["tags"]])  # names: text, never markup
        if self.current.tag in data["tags"]:
            tag.value = self.current.tag
        seg = self.query_one("#flt-segment", Select)
        seg.set_options([(Text(s), s) for s in data["segments"]])
        if self.current.segment in data["segments"]:
            seg.value = self.current.segment
        owner.focus()

    def result(self) -> ListFilter:
        def val(sel_id: str):
            v = self.query_one(sel_id, Select).value
            return None if v is Select.NULL or v is None else v

        return ListFilter(
            owner=val("#flt-owner") or "all", tag=val("#flt-tag"), segment=val("#flt-segment"),
            no_next_step=self.query_one("#flt-nonext", Checkbox).value, include_archived=self.current.include_archived,
        )

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "apply":
            self.action_apply()
        else:
            self.action_cancel()

    def action_apply(self) -> None:
        self.dismiss(self.result())

    def action_cancel(self) -> None:
        self.dismiss(None)

    def action_reset(self) -> None:
        self.dismiss(ListFilter(include_archived=self.current.include_archived))
