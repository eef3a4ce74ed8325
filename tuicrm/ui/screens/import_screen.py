"""Import a spreadsheet: choose the file, see how each column is read, fix the mapping by keys,
preview the counts (a dry run), import with a progress bar (a thread worker: the app stays
responsive; Esc cancels and nothing is written), read the report, undo the import."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import DataTable, Footer, Input, ProgressBar, Static

from tuicrm.i18n import _
from tuicrm.transfer import importer
from tuicrm.transfer.mapping import FIELDS, field_label
from tuicrm.ui.screens.base import CrmModal, CrmScreen

FIELD_CYCLE = [""] + [f.code for f in FIELDS]
POLICY_LABELS = {"merge": "merge: fill empty fields, add phones", "skip": "skip cards already in the base",
                 "create": "create new cards even for matches"}


class MappingTable(DataTable):
    """The columns of the file; ←/→ change the field of the highlighted column (not scroll)."""

    BINDINGS = [
        Binding("right", "screen.next_field", "Next field", show=False),
        Binding("left", "screen.prev_field", "Previous field", show=False),
    ]


POLICY_NAMES = {"merge": "merge", "skip": "skip", "create": "create"}


class ImportScreen(CrmScreen):
    PANE_TITLE = "Import"
    BINDINGS = [
        Binding("escape", "back", "Back / cancel", id="import.back"),
        Binding("ctrl+r", "read_file", "Read file", id="import.read"),
        Binding("right", "next_field", "Next field", id="import.next_field", key_display="→"),
        Binding("left", "prev_field", "Previous field", id="import.prev_field", key_display="←"),
        Binding("x", "ignore_column", "Ignore column", id="import.ignore"),
        Binding("p", "cycle_policy", "Policy", id="import.policy"),
        Binding("v", "preview", "Preview", id="import.preview"),
        Binding("ctrl+s", "run_import", "Import", id="import.run"),
        Binding("u", "undo", "Undo import", id="import.undo"),
        Binding("s", "save_preset", "Save mapping", id="import.save_preset"),
        Binding("t", "next_sheet", "Next sheet", id="import.sheet"),
    ]

    def __init__(self, path: str | None = None) -> None:
        super().__init__()
        self.initial = path or ""
        self.prepared: importer.Prepared | None = None
        self.mapping: list[str] = []
        self.policy = "merge"
        self.cancel = threading.Event()
        self.busy = False
        self.last_batch: int | None = None
        self.sheet: str | None = None
        self._started = 0.0

    def compose(self) -> ComposeResult:
        with Vertical(id="import-body"):
            yield Static(_("Import persons, companies and deals from .xlsx / .csv"), id="import-title")
            yield Input(value=self.initial or str(Path.cwd()) + "/", id="import-path",
                        placeholder=_("path to a .xlsx or .csv file; Enter reads it"))
            yield Static("", id="import-info")
            yield MappingTable(id="import-columns", cursor_type="row", zebra_stripes=True)
            yield ProgressBar(id="import-progress", show_eta=False)
            yield Static("", id="import-report")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one("#import-columns", DataTable)
        table.add_columns(_("#"), _("Column"), _("Read as"), _("Sample values"))
        self.query_one("#import-progress").display = False
        self._info()
        if self.initial:
            self.action_read_file()
        else:
            self.query_one("#import-path", Input).focus()

    # --- reading the file ------------------------------------------------------------------------
    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.action_read_file()

    def action_read_file(self) -> None:
        path = self.query_one("#import-path", Input).value.strip()
        if not path:
            return
        self.say(_("Reading {path}…").format(path=path))
        self.run_db(importer.prepare, path, sheet=self.sheet, done=self._prepared, error=self._failed, group="import-prepare")

    def _prepared(self, prepared: importer.Prepared) -> None:
        self.prepared = prepared
        self.mapping = list(prepared.mapping)
        self._fill_table()
        self.sheet = prepared.sheet
        layout = _(" layout {preset},").format(preset=prepared.preset) if prepared.preset else ""
        self.say(_("{name}: header on row {row},{layout} about {n} rows. ←/→ change a column, v preview, ctrl+s import.").format(
            name=prepared.path.name, row=prepared.header_row, layout=layout, n=prepared.total_rows or "?"))
        self.query_one("#import-columns", DataTable).focus()

    def _failed(self, exc) -> None:
        self.busy = False
        self.query_one("#import-progress").display = False
        self.say(str(exc), error=True)
        self.notify(str(exc), severity="error", timeout=8, markup=False)

    def _fill_table(self, keep: int | None = None) -> None:
        table = self.query_one("#import-columns", DataTable)
        row = table.cursor_row if keep is None else keep
        table.clear()
        p = self.prepared
        if p is None:
            return
        for i, h in enumerate(p.headers):
            samples = " | ".join(p.samples[i][:3]) if i < len(p.samples) else ""
            # the file's own text (headers, cells) is never read as markup: Text, not str
            table.add_row(str(i + 1), Text(h or f"#{i + 1}"), field_label(self.mapping[i]), Text(samples[:60]), key=str(i))
        if p.headers:
            table.move_cursor(row=min(max(row, 0), len(p.headers) - 1))

    # --- fixing the mapping ----------------------------------------------------------------------
    def _shift(self, step: int) -> None:
        if self.prepared is None or self.busy or not self.mapping:
            return
        i = self.query_one("#import-columns", DataTable).cursor_row
        cur = self.mapping[i]
        pos = FIELD_CYCLE.index(cur) if cur in FIELD_CYCLE else 0
        self.mapping[i] = FIELD_CYCLE[(pos + step) % len(FIELD_CYCLE)]
        self._fill_table(keep=i)
        self.query_one("#import-report", Static).update(_("Mapping changed: press v to preview again."))

    def action_next_field(self) -> None:
        self._shift(1)

    def action_prev_field(self) -> None:
        self._shift(-1)

    def action_ignore_column(self) -> None:
        if self.prepared is None or self.busy or not self.mapping:
            return
        i = self.query_one("#import-columns", DataTable).cursor_row
        self.mapping[i] = ""
        self._fill_table(keep=i)

    def action_cycle_policy(self) -> None:
        order = list(POLICY_LABELS)
        self.policy = order[(order.index(self.policy) + 1) % len(order)]
        self._info()
        self.notify(_(POLICY_LABELS[self.policy]), timeout=3)

    def _info(self) -> None:
        self.query_one("#import-title", Static).update(
            _("Import from .xlsx / .csv — policy (p): {policy}").format(policy=_(POLICY_NAMES[self.policy])))

    def say(self, text: str, error: bool = False) -> None:
        w = self.query_one("#import-info", Static)
        w.set_class(error, "import-error")
        w.update(Text(text))  # file names and messages carry the user's text: never markup

    # --- preview and import ----------------------------------------------------------------------
    def action_preview(self) -> None:
        self._start(dry_run=True)

    def action_run_import(self) -> None:
        self._start(dry_run=False)

    def _start(self, dry_run: bool) -> None:
        if self.prepared is None or self.busy:
            return
        self.busy = True
        self.cancel = threading.Event()
        bar = self.query_one("#import-progress", ProgressBar)
        bar.display = True
        bar.update(total=self.prepared.total_rows or None, progress=0)
        self._started = time.perf_counter()
        self.say(_("Checking (nothing is written)…") if dry_run else _("Importing… Esc cancels; nothing is written until the end."))
        p = self.prepared
        self.run_db(importer.run_import, self.actor, p.path, mapping=list(self.mapping), preset=p.preset, sheet=p.sheet,
                    policy=self.policy, region=self.settings.phone_region, dry_run=dry_run, progress=self._progress_from_thread,
                    cancel=self.cancel, done=self._finished, error=self._failed, group="import-run")

    def _progress_from_thread(self, done: int, total: int | None) -> None:
        self.app.call_from_thread(self._progress, done, total)

    def _progress(self, done: int, total: int | None) -> None:
        bar = self.query_one("#import-progress", ProgressBar)
        if total:
            bar.update(total=max(total, done), progress=done)
        rate = done / max(time.perf_counter() - self._started, 1e-6)
        self.say(_("{done} rows, {rate} rows/s — Esc cancels").format(done=done, rate=int(rate)))

    def _finished(self, rep: importer.ImportReport) -> None:
        self.busy = False
        self.query_one("#import-progress").display = False
        if rep.batch_id:
            self.last_batch = rep.batch_id
            if rep.rejected_rows:
                target = Path(rep.filename).with_name(Path(rep.filename).stem + ".rejected.xlsx")
                self.run_db(_write_rejected, target, rep.headers, rep.rejected_rows, done=self._rejected_written, group="import-rejected")
        head = _("Preview (nothing written)") if rep.dry_run else _("Import #{id} done").format(id=rep.batch_id)
        lines = [head + ": " + _("rows {rows}: created {created}, merged {merged}, unchanged {unchanged}, skipped {skipped}, rejected {rejected}").format(
            rows=rep.rows_total, created=rep.created, merged=rep.merged, unchanged=rep.unchanged, skipped=rep.skipped, rejected=rep.rejected)]
        lines.append(_("persons +{pc} (merged {pm}), companies +{cc} (merged {cm}), deals +{dc}; phones kept unparsed: {pf}").format(
            pc=rep.persons_created, pm=rep.persons_merged, cc=rep.companies_created, cm=rep.companies_merged, dc=rep.deals_created,
            pf=rep.phones_flagged))
        for pr in rep.problems[:6]:
            lines.append(_("row {row}: {message}").format(row=pr.row, message=f"[{_(pr.kind)}] {pr.message}"))
        if not rep.dry_run:
            lines.append(_("u undoes this import."))
        self.query_one("#import-report", Static).update(Text("\n".join(lines)))
        self.say(_("{seconds:.1f} s").format(seconds=rep.seconds))

    def _rejected_written(self, path) -> None:
        self.notify(_("Rejected rows with reasons: {path}").format(path=path), timeout=8, markup=False)

    def action_undo(self) -> None:
        if self.busy or self.last_batch is None:
            self.notify(_("Nothing to undo here: import a file first (tuicrm import --list shows past imports)."))
            return
        from tuicrm.transfer.undo import undo_batch
        from tuicrm.ui.modals.confirm import ConfirmScreen

        batch = self.last_batch

        def answer(ok: bool | None) -> None:
            if ok:
                self.run_db(undo_batch, self.actor, batch, done=self._undone, group="import-undo")

        self.app.push_screen(ConfirmScreen(_("Undo import #{id}: delete what it created and revert what it merged?").format(id=batch)), answer)

    def _undone(self, rep) -> None:
        self.last_batch = None
        self.query_one("#import-report", Static).update(
            _("import #{id} undone: deleted {p} persons, {c} companies, {d} deals; reverted {r} merged cards").format(
                id=rep.batch_id, p=rep.persons_deleted, c=rep.companies_deleted, d=rep.deals_deleted, r=rep.cards_reverted))

    def action_next_sheet(self) -> None:
        p = self.prepared
        if p is None or self.busy or len(p.sheets) < 2:
            return
        self.sheet = p.sheets[(p.sheets.index(p.sheet) + 1) % len(p.sheets)] if p.sheet in p.sheets else p.sheets[0]
        self.notify(_("Sheet: {sheet}").format(sheet=self.sheet), timeout=3, markup=False)
        self.action_read_file()

    def action_save_preset(self) -> None:
        if self.prepared is None or self.busy:
            return
        headers, mapping = list(self.prepared.headers), list(self.mapping)

        def named(name: str | None) -> None:
            if name:
                from tuicrm.transfer import presets

                self.run_db(presets.save, name, headers, mapping,
                            done=lambda _r: self.notify(_("Mapping saved as preset {name!r} (tuicrm import --preset {name})").format(name=name),
                                                        markup=False),
                            group="import-preset")

        self.app.push_screen(PresetNameModal(), named)

    def action_back(self) -> None:
        if self.busy:
            self.cancel.set()
            self.say(_("Cancelling…"))
            return
        self.app.pop_screen()


class PresetNameModal(CrmModal[str]):
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="import_preset.cancel")]

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(_("Save this mapping as a preset named:"), classes="dialog-title")
            yield Input(id="preset-name", placeholder=_("e.g. our 1C export; Enter saves"))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.dismiss(event.value.strip() or None)

    def action_cancel(self) -> None:
        self.dismiss(None)


def _write_rejected(path, headers, rows):
    from tuicrm.transfer.exporter import write_rejected

    write_rejected(path, headers, rows)
    return path
