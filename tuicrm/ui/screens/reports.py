"""The Reports pane: a chart (plotext) with the table of its numbers below it.

Keys: a activity, f funnel, w won/lost, o forecast; [ / ] previous/next period, p this
week/month/quarter/year, c custom period; m filters (managers, pipeline, tags); b buckets
(auto/day/week/month); t next table; s save the filters, v saved reports, ctrl+1…9 a saved
report; x export to .xlsx; g a manager's monthly plan (heads); F5 reload. All numbers come from
services.reports through run_db.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from functools import partial
from pathlib import Path

from rich.cells import cell_len
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import DataTable, Footer, Header, Static

from tuicrm.i18n import N_, _
from tuicrm.services import reports
from tuicrm.services.reports import TEXT, Filters, Period, ReportParams, ReportResult, SavedInfo
from tuicrm.transfer import report_export
from tuicrm.ui.modals.report_forms import (
    ReportExportModal,
    ReportFiltersModal,
    ReportPeriodModal,
    ReportSaveModal,
    ReportSavedModal,
    ReportTargetModal,
    SaveAnswer,
    SavedAnswer,
    TargetAnswer,
)
from tuicrm.ui.screens.base import CrmScreen
from tuicrm.ui.widgets.chart import ReportChart

REPORT_KEYS = (("a", "activity", N_("Activity")), ("f", "funnel", N_("Funnel")),
               ("w", "winloss", N_("Won/lost")), ("o", "forecast", N_("Forecast")))
PRESETS = ("this-week", "this-month", "this-quarter", "this-year")
PRESET_LABELS = {"this-week": N_("this week"), "this-month": N_("this month"), "this-quarter": N_("this quarter"),
                 "this-year": N_("this year")}
BUCKET_LABELS = {"auto": N_("auto"), "day": N_("by day"), "week": N_("by week"), "month": N_("by month")}


class ReportsScreen(CrmScreen):
    PANE_TITLE = N_("Reports")
    BINDINGS = [
        Binding("a", "report('activity')", "Activity", id="reports.activity"),
        Binding("f", "report('funnel')", "Funnel", id="reports.funnel"),
        Binding("w", "report('winloss')", "Won/lost", id="reports.winloss"),
        Binding("o", "report('forecast')", "Forecast", id="reports.forecast"),
        Binding("left_square_bracket", "shift(-1)", "Prev period", id="reports.prev"),
        Binding("right_square_bracket", "shift(1)", "Next period", id="reports.next"),
        Binding("p", "preset", "Period", id="reports.preset"),
        Binding("c", "custom_period", "Custom period", id="reports.custom", show=False),
        Binding("m", "filters", "Filters", id="reports.filters"),
        Binding("b", "bucket", "Buckets", id="reports.bucket", show=False),
        Binding("t", "next_table", "Next table", id="reports.table", show=False),
        Binding("s", "save", "Save", id="reports.save"),
        Binding("v", "saved", "Saved reports", id="reports.saved"),
        Binding("x", "export", "Export", id="reports.export"),
        Binding("g", "target", "Set plan", id="reports.target", show=False),
        Binding("f5,r", "reload", "Reload", id="reports.reload", show=False),
        *[Binding(f"ctrl+{n}", f"slot({n})", "Run a saved report", id=f"reports.slot{n}", show=False) for n in range(1, 10)],
    ]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.params = ReportParams("activity", "this-month")
        self.period: Period | None = None
        self.result: ReportResult | None = None
        self.table_index = 0
        self.preset = "this-month"
        self.saved: list[SavedInfo] = []
        self.loading = False
        self.error: str = ""

    # --- layout ------------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("", id="reports-bar")
        yield Static("", id="reports-filters")
        with Vertical(id="reports-body"):
            yield ReportChart(id="reports-chart")
            yield Static("", id="reports-table-title")
            yield DataTable(id="reports-table", cursor_type="row", zebra_stripes=True)
        yield Footer()

    @property
    def chart(self) -> ReportChart:
        return self.query_one("#reports-chart", ReportChart)

    @property
    def table(self) -> DataTable:
        return self.query_one("#reports-table", DataTable)

    def on_mount(self) -> None:
        self.period = reports.parse_period(self.params.period, self.crm.today_local())
        self.table.focus()
        self.render_bar()
        self.reload()
        self.load_saved()
        self.run_db(lambda: (reports.manager_choices(self.actor), reports.pipeline_choices()),
                    done=self._choices_loaded, group="reports-choices")

    def _choices_loaded(self, choices) -> None:
        self._manager_choices, self._pipeline_choices = choices
        self.render_bar()

    def on_screen_resume(self) -> None:
        if self.result is not None:
            self.reload()

    # --- loading -----------------------------------------------------------------------------
    def tz(self):
        return self.crm.user_zone()

    def reload(self) -> None:
        self.loading = True
        self.render_bar()
        self.run_db(reports.run, self.actor, self.params, tz=self.tz(), now=self.crm.clock(), period=self.period,
                    done=self.show_result, error=self.failed, group="reports-load")

    def failed(self, exc) -> None:
        self.loading = False
        self.error = str(exc)
        self.notify(self.error, severity="error", timeout=6)
        self.render_bar()

    def load_saved(self) -> None:
        self.run_db(reports.list_saved, self.actor, done=self._saved_loaded, group="reports-saved")

    def _saved_loaded(self, saved: list[SavedInfo]) -> None:
        self.saved = saved

    def show_result(self, result: ReportResult) -> None:
        self.loading = False
        self.error = ""
        self.result = result
        if self.table_index >= len(result.tables):
            self.table_index = 0
        self.chart.show(result.chart)
        self.fill_table()
        self.render_bar()

    def fill_table(self) -> None:
        result = self.result
        table = self.table
        table.clear(columns=True)
        if result is None:
            return
        data = result.tables[self.table_index]
        formatted = data.formatted(result.currency)
        for i, (header, kind) in enumerate(zip(data.headers, data.kinds)):
            width = max([cell_len(header), *(cell_len(row[i]) for row in formatted)])
            table.add_column(Text(header, justify="left" if kind == TEXT else "right"), key=f"c{i}", width=width)
        for n, row in enumerate(formatted):
            cells = [Text(v, justify="left" if k == TEXT else "right") for v, k in zip(row, data.kinds)]
            table.add_row(*cells, key=f"r{n}")
        title = data.title
        if len(result.tables) > 1:
            title += "  " + _("(table {n} of {total}; t: next)").format(n=self.table_index + 1, total=len(result.tables))
        if not data.rows:
            title += " — " + _("nothing in this period")
        if result.callout:
            title = f"{result.callout}\n{title}"
        self.query_one("#reports-table-title", Static).update(Text(title))  # may name a manager or a stage: text, never markup

    # --- the bar -----------------------------------------------------------------------------
    def period_text(self) -> str:
        if self.period is None:
            return ""
        text = self.period.label()
        if self.params.period in PRESET_LABELS and self.period.spec == self.params.period:
            text += f" ({_(PRESET_LABELS[self.params.period])})"
        return text

    def filters_text(self) -> str:
        f = self.params.filters
        parts = []
        if f.managers:
            names = {c.id: c.name for c in getattr(self, "_manager_choices", [])}
            parts.append(_("Managers: {names}").format(names=", ".join(names.get(m, f"#{m}") for m in f.managers)))
        else:
            parts.append(_("Managers: all") if self.actor.sees_all else _("Managers: me"))
        if f.pipeline_id:
            names = {c.id: c.name for c in getattr(self, "_pipeline_choices", [])}
            parts.append(_("Pipeline: {name}").format(name=names.get(f.pipeline_id, f"#{f.pipeline_id}")))
        if f.tags:
            parts.append(_("Tags: {tags}").format(tags=", ".join(f.tags)))
        if self.params.bucket != "auto":
            parts.append(_(BUCKET_LABELS[self.params.bucket]))
        return " · ".join(parts)

    def render_bar(self) -> None:
        bar = Text()
        for key, name, label in REPORT_KEYS:
            style = "reverse bold" if name == self.params.report else ""
            bar.append(f" {key} ", style="bold")
            bar.append(_(label), style=style)
            bar.append(" ")
        if self.loading:
            bar.append(" " + _("loading…"), style="italic")
        self.query_one("#reports-bar", Static).update(bar)
        line = Text()
        line.append(self.period_text(), style="bold")
        line.append(" · " + self.filters_text())
        if self.error:
            line.append(" · " + self.error, style="bold")
        self.query_one("#reports-filters", Static).update(line)

    # --- actions -----------------------------------------------------------------------------
    def set_params(self, **changes) -> None:
        self.params = replace(self.params, **changes)
        self.reload()

    def action_report(self, name: str) -> None:
        if name != self.params.report:
            self.table_index = 0
            self.set_params(report=name)

    def action_shift(self, steps: int) -> None:
        if self.period is None:
            return
        self.period = self.period.shift(steps)
        self.set_params(period=self.period.spec or f"{self.period.start.isoformat()}..{(self.period.end - dt.timedelta(days=1)).isoformat()}")

    def action_preset(self) -> None:
        """The next of this week / month / quarter / year (after the last one chosen)."""
        current = self.params.period if self.params.period in PRESETS else self.preset
        nxt = PRESETS[(PRESETS.index(current) + 1) % len(PRESETS)]
        self.preset = nxt
        self.period = reports.parse_period(nxt, self.crm.today_local())
        self.set_params(period=nxt)

    def action_custom_period(self) -> None:
        def chosen(period: Period | None) -> None:
            if period is not None:
                self.period = period
                self.set_params(period=period.spec)

        if self.period is not None:
            self.app.push_screen(ReportPeriodModal(self.period), chosen)

    def action_filters(self) -> None:
        def open_modal(choices) -> None:
            managers, pipelines = choices
            self._manager_choices, self._pipeline_choices = managers, pipelines

            def chosen(filters: Filters | None) -> None:
                if filters is not None:
                    self.set_params(managers=filters.managers, pipeline_id=filters.pipeline_id, tags=filters.tags)

            self.app.push_screen(ReportFiltersModal(self.params.filters, managers, pipelines), chosen)

        self.run_db(lambda: (reports.manager_choices(self.actor), reports.pipeline_choices()), done=open_modal,
                    group="reports-choices")

    def action_bucket(self) -> None:
        order = list(BUCKET_LABELS)
        self.set_params(bucket=order[(order.index(self.params.bucket) + 1) % len(order)])

    def action_next_table(self) -> None:
        if self.result is not None and len(self.result.tables) > 1:
            self.table_index = (self.table_index + 1) % len(self.result.tables)
            self.fill_table()

    def action_reload(self) -> None:
        self.reload()

    # saved reports
    def action_save(self) -> None:
        def chosen(answer: SaveAnswer | None) -> None:
            if answer is None:
                return

            def saved(info: SavedInfo) -> None:
                self.notify(_("Saved as “{name}”").format(name=info.name))
                self.load_saved()

            self.run_db(reports.save_report, self.actor, answer.name, self.params, answer.slot, done=saved,
                        group="reports-save")

        self.app.push_screen(ReportSaveModal(), chosen)

    def action_saved(self) -> None:
        def opened(saved: list[SavedInfo]) -> None:
            self.saved = saved

            def chosen(answer: SavedAnswer | None) -> None:
                if answer is None:
                    return
                if answer.action == "run":
                    self.apply_saved(answer.saved)
                else:
                    self.run_db(reports.delete_saved, self.actor, answer.saved.id,
                                done=lambda _r: (self.notify(_("Deleted “{name}”").format(name=answer.saved.name)), self.load_saved()),
                                group="reports-save")

            self.app.push_screen(ReportSavedModal(saved), chosen)

        self.run_db(reports.list_saved, self.actor, done=opened, group="reports-saved")

    def apply_saved(self, saved: SavedInfo) -> None:
        try:
            period = reports.parse_period(saved.params.period, self.crm.today_local())
        except reports.ValidationError as exc:
            self.notify(str(exc), severity="error")
            return
        self.period = period
        self.table_index = 0
        self.params = saved.params
        self.notify(_("Report “{name}”").format(name=saved.name), timeout=2)
        self.reload()

    def action_slot(self, n: int) -> None:
        found = next((s for s in self.saved if s.slot == n), None)
        if found is None:
            self.notify(_("No saved report on ctrl+{n}: press s to save one there").format(n=n), severity="warning")
            return
        self.apply_saved(found)

    # export
    def action_export(self) -> None:
        if self.result is None:
            self.notify(_("Nothing to export yet"), severity="warning")
            return
        result = self.result
        name = f"tuicrm-{result.report}-{result.period.start.isoformat()}.xlsx"
        default = Path.cwd() / name

        def chosen(path: Path | None) -> None:
            if path is None:
                return
            self.run_db(report_export.write_xlsx, result, path,
                        done=lambda p: self.notify(_("Exported to {path}").format(path=p), timeout=6),
                        group="reports-export")

        self.app.push_screen(ReportExportModal(default), chosen)

    # plan figure
    def action_target(self) -> None:
        if not self.actor.sees_all:
            self.notify(_("Only a head or an admin sets plans"), severity="warning")
            return

        def opened(managers) -> None:
            month = (self.period.start if self.period else self.crm.today_local()).replace(day=1)
            first = self.params.managers[0] if self.params.managers else None

            def chosen(answer: TargetAnswer | None) -> None:
                if answer is None:
                    return
                self.run_db(reports.set_target, self.actor, answer.user_id, answer.month, answer.amount_minor,
                            done=lambda _r: (self.notify(_("Plan saved")), self.reload()), group="reports-target")

            self.app.push_screen(ReportTargetModal(managers, month, first), chosen)

        self.run_db(reports.manager_choices, self.actor, done=opened, group="reports-choices")

    # --- palette -----------------------------------------------------------------------------
    def commands(self):
        out = [(_("Report: {name}").format(name=_(reports.REPORT_TITLES[name])), key, partial(self.action_report, name))
               for key, name, _label in REPORT_KEYS]
        out += [
            (_("Report: previous period"), "[", partial(self.action_shift, -1)),
            (_("Report: next period"), "]", partial(self.action_shift, 1)),
            (_("Report: custom period"), "c", self.action_custom_period),
            (_("Report: filters (managers, pipeline, tags)"), "m", self.action_filters),
            (_("Report: save the filters"), "s", self.action_save),
            (_("Report: saved reports"), "v", self.action_saved),
            (_("Report: export to .xlsx"), "x", self.action_export),
        ]
        if self.actor.sees_all:
            out.append((_("Report: set a manager's monthly plan"), "g", self.action_target))
        for s in self.saved:
            out.append((_("Run saved report: {name}").format(name=s.name), f"ctrl+{s.slot}" if s.slot else "",
                        partial(self.apply_saved, s)))
        return out
