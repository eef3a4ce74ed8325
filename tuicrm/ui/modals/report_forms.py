"""Dialogs of the Reports pane: custom period, filters, save, saved list, export path, plan figure.

Each returns its answer through ``dismiss`` (None = cancelled). Input is checked here where it
can be (dates, numbers), and the error is shown under the field; nothing is written by a dialog.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Input, Label, OptionList, Select, SelectionList, Static
from textual.widgets.option_list import Option

from tuicrm import formatting
from tuicrm.i18n import _
from tuicrm.services import reports
from tuicrm.services.base import ValidationError
from tuicrm.services.reports import Choice, Filters, Period, SavedInfo
from tuicrm.ui.screens.base import CrmModal


def parse_day(text: str) -> dt.date:
    text = text.strip()
    m = re.match(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})$", text)
    try:
        if m:
            return dt.date(int(m[3]), int(m[2]), int(m[1]))
        return dt.date.fromisoformat(text)
    except ValueError:
        raise ValidationError(_("not a date: {text} (use 2026-11-30 or 30.11.2026)").format(text=text or "—")) from None


class _Dialog(CrmModal):
    """Escape cancels, ctrl+s / Enter in the last field confirms; an error line at the bottom.
    Each dialog yields its fields from ``body()`` and returns its value from ``answer()`` (raising
    ValidationError to keep the dialog open with the message)."""

    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="report_dialog.cancel"),
        Binding("ctrl+s", "ok", "OK", id="report_dialog.ok", priority=True),
    ]
    TITLE_TEXT = ""

    def body(self) -> ComposeResult:
        return iter(())

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog report-dialog"):
            yield Static(self.TITLE_TEXT, classes="dialog-title")
            yield from self.body()
            yield Static("", id="dialog-error", classes="dialog-error")
            with Horizontal(classes="dialog-buttons"):
                yield Button(_("OK") + " (ctrl+s)", id="ok", variant="primary")
                yield Button(_("Cancel") + " (esc)", id="cancel")

    def on_mount(self) -> None:
        self.query_one("#dialog-error", Static).display = False
        first = self.query("Input, SelectionList, OptionList, Select").first()
        if first is not None:
            first.focus()

    def say(self, text: str) -> None:
        err = self.query_one("#dialog-error", Static)
        err.update(Text(text))
        err.display = bool(text)

    @property
    def error_text(self) -> str:
        err = self.query_one("#dialog-error", Static)
        return str(err.render()) if err.display else ""

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "ok":
            self.action_ok()
        else:
            self.action_cancel()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        inputs = list(self.query(Input))
        if inputs and event.input is inputs[-1]:
            self.action_ok()
        else:
            self.focus_next()

    def action_cancel(self) -> None:
        self.dismiss(None)

    def action_ok(self) -> None:
        try:
            value = self.answer()
        except ValidationError as exc:
            self.say(str(exc))
            return
        self.dismiss(value)


class ReportPeriodModal(_Dialog):
    """A custom period: first and last day, both included."""

    def __init__(self, period: Period) -> None:
        super().__init__()
        self.period = period
        self.TITLE_TEXT = _("Custom period (first and last day)")

    def body(self) -> ComposeResult:
        last = self.period.end - dt.timedelta(days=1)
        with Horizontal(classes="field-row"):
            yield Label(_("First day"), classes="field-label")
            yield Input(self.period.start.isoformat(), id="period-start")
        with Horizontal(classes="field-row"):
            yield Label(_("Last day"), classes="field-label")
            yield Input(last.isoformat(), id="period-end")

    def answer(self) -> Period:
        start = parse_day(self.query_one("#period-start", Input).value)
        last = parse_day(self.query_one("#period-end", Input).value)
        return reports.period_from_dates(start, last)


class ReportFiltersModal(_Dialog):
    """Managers (none ticked = all), pipeline, tags (comma separated)."""

    def __init__(self, filters: Filters, managers: list[Choice], pipelines: list[Choice]) -> None:
        super().__init__()
        self.filters = filters
        self.managers = managers
        self.pipelines = pipelines
        self.TITLE_TEXT = _("Filters: managers (none ticked = all), pipeline, tags")

    def body(self) -> ComposeResult:
        chosen = set(self.filters.managers)
        yield SelectionList[int](*[(Text(m.name), m.id, m.id in chosen) for m in self.managers], id="filter-managers")
        with Horizontal(classes="field-row"):
            yield Label(_("Pipeline"), classes="field-label")
            yield Select([(Text(p.name), p.id) for p in self.pipelines], value=self.filters.pipeline_id or Select.NULL,
                         prompt=_("default"), id="filter-pipeline")
        with Horizontal(classes="field-row"):
            yield Label(_("Tags"), classes="field-label")
            yield Input(", ".join(self.filters.tags), placeholder=_("tag, tag…"), id="filter-tags")

    def answer(self) -> Filters:
        managers = tuple(sorted(self.query_one("#filter-managers", SelectionList).selected))
        sel = self.query_one("#filter-pipeline", Select)
        pipeline = None if sel.is_blank() else int(sel.value)  # type: ignore[arg-type]
        tags = tuple(t.strip() for t in self.query_one("#filter-tags", Input).value.split(",") if t.strip())
        return Filters(managers, pipeline, tags)


@dataclass(frozen=True)
class SaveAnswer:
    name: str
    slot: int | None


class ReportSaveModal(_Dialog):
    def __init__(self, name: str = "", slot: int | None = None) -> None:
        super().__init__()
        self.initial = (name, slot)
        self.TITLE_TEXT = _("Save these filters as a report")

    def body(self) -> ComposeResult:
        with Horizontal(classes="field-row"):
            yield Label(_("Name"), classes="field-label")
            yield Input(self.initial[0], id="save-name")
        with Horizontal(classes="field-row"):
            yield Label(_("Key 1–9"), classes="field-label")
            yield Input(str(self.initial[1] or ""), placeholder=_("optional: ctrl+digit runs it"), id="save-slot")

    def answer(self) -> SaveAnswer:
        name = self.query_one("#save-name", Input).value.strip()
        if not name:
            raise ValidationError(_("a saved report needs a name"))
        slot_text = self.query_one("#save-slot", Input).value.strip()
        if slot_text and not (slot_text.isdigit() and 1 <= int(slot_text) <= 9):
            raise ValidationError(_("a slot is a number from 1 to 9"))
        return SaveAnswer(name, int(slot_text) if slot_text else None)


@dataclass(frozen=True)
class SavedAnswer:
    action: str  # run / delete
    saved: SavedInfo


class ReportSavedModal(CrmModal):
    """The saved reports: Enter runs one, d deletes it."""

    BINDINGS = [
        Binding("escape", "cancel", "Close", id="report_saved.close"),
        Binding("d,delete", "delete", "Delete", id="report_saved.delete"),
    ]

    def __init__(self, saved: list[SavedInfo]) -> None:
        super().__init__()
        self.saved = saved

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog report-dialog"):
            yield Static(_("Saved reports — Enter runs, d deletes, Esc closes"), classes="dialog-title")
            if self.saved:
                yield OptionList(*[Option(Text(self._label(s)), id=str(s.id)) for s in self.saved], id="saved-list")  # a name as typed
            else:
                yield Static(_("No saved reports yet: press s in the Reports pane to save the current filters."),
                             id="saved-none")

    @staticmethod
    def _label(s: SavedInfo) -> str:
        slot = f"ctrl+{s.slot}  " if s.slot else "        "
        title = _(reports.REPORT_TITLES.get(s.params.report, s.params.report))
        return f"{slot}{s.name} — {title}, {s.params.period}"

    def on_mount(self) -> None:
        if self.saved:
            self.query_one(OptionList).focus()

    def _current(self) -> SavedInfo | None:
        if not self.saved:
            return None
        ol = self.query_one(OptionList)
        if ol.highlighted is None:
            return None
        return self.saved[ol.highlighted]

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        chosen = next(s for s in self.saved if str(s.id) == event.option.id)
        self.dismiss(SavedAnswer("run", chosen))

    def action_delete(self) -> None:
        current = self._current()
        if current is not None:
            self.dismiss(SavedAnswer("delete", current))

    def action_cancel(self) -> None:
        self.dismiss(None)


class ReportExportModal(_Dialog):
    def __init__(self, default_path: Path) -> None:
        super().__init__()
        self.default_path = default_path
        self.TITLE_TEXT = _("Export the tables and the chart data to .xlsx")

    def body(self) -> ComposeResult:
        with Horizontal(classes="field-row"):
            yield Label(_("File"), classes="field-label")
            yield Input(str(self.default_path), id="export-path")

    def answer(self) -> Path:
        text = self.query_one("#export-path", Input).value.strip()
        if not text:
            raise ValidationError(_("type the file to write"))
        path = Path(text).expanduser()
        if path.suffix.lower() != ".xlsx":
            path = path.with_name(path.name + ".xlsx")
        if path.is_dir():
            raise ValidationError(_("cannot write {path}: it is a directory").format(path=path))
        if not path.parent.exists():
            raise ValidationError(_("cannot write {path}: the folder {folder} does not exist").format(path=path, folder=path.parent))
        return path


@dataclass(frozen=True)
class TargetAnswer:
    user_id: int
    month: dt.date
    amount_minor: int


class ReportTargetModal(_Dialog):
    """A head sets a manager's plan figure for a month."""

    def __init__(self, managers: list[Choice], month: dt.date, user_id: int | None = None) -> None:
        super().__init__()
        self.managers = managers
        self.month = month
        self.user_id = user_id
        self.TITLE_TEXT = _("Monthly plan of a manager")

    def body(self) -> ComposeResult:
        with Horizontal(classes="field-row"):
            yield Label(_("Manager"), classes="field-label")
            value = self.user_id if self.user_id in {m.id for m in self.managers} else Select.NULL
            yield Select([(Text(m.name), m.id) for m in self.managers], value=value, prompt=_("choose"), id="target-user")
        with Horizontal(classes="field-row"):
            yield Label(_("Month"), classes="field-label")
            yield Input(self.month.strftime("%Y-%m"), placeholder="2026-11", id="target-month")
        with Horizontal(classes="field-row"):
            yield Label(_("Plan, amount"), classes="field-label")
            yield Input("", placeholder="500000", id="target-amount")

    def answer(self) -> TargetAnswer:
        sel = self.query_one("#target-user", Select)
        if sel.is_blank():
            raise ValidationError(_("choose the manager"))
        text = self.query_one("#target-month", Input).value.strip()
        try:
            month = dt.date.fromisoformat(text + "-01" if len(text) == 7 else text).replace(day=1)
        except ValueError:
            raise ValidationError(_("not a month: {text} (use 2026-11)").format(text=text or "—")) from None
        raw = self.query_one("#target-amount", Input).value.replace(" ", "").replace("\u00a0", "").replace(",", ".")
        try:
            amount = round(float(raw) * 100)
        except ValueError:
            raise ValidationError(_("not an amount: {text}").format(text=raw or "—")) from None
        if amount < 0:
            raise ValidationError(_("the plan cannot be negative"))
        return TargetAnswer(int(sel.value), month, amount)  # type: ignore[arg-type]


def month_label(day: dt.date) -> str:
    return formatting.date(day, "LLLL yyyy")
