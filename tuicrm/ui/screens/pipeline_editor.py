"""Pipeline and stages, edited by an admin: name, order, default probability, days before stale;
add and remove stages (a stage with deals is never removed: the reason is said)."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, DataTable, Footer, Header, Input, Label, Static

from tuicrm.i18n import N_, _
from tuicrm.services import deals
from tuicrm.services.base import ServiceError
from tuicrm.services.deals import StageInfo
from tuicrm.ui.modals.deal_form import error_text
from tuicrm.ui.screens.base import CrmModal, CrmScreen

KIND_LABELS = {"open": N_("open"), "won": N_("won"), "lost": N_("lost")}


class StageForm(CrmModal["dict | None"]):
    """Name, default probability, days before stale. Returns the typed values (checked by the service)."""

    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="stageform.cancel"),
        Binding("ctrl+s", "save", "Save", id="stageform.save"),
    ]

    def __init__(self, stage: StageInfo | None = None, *, title: str = "") -> None:
        super().__init__()
        self.stage = stage
        self.title_text = title

    def compose(self) -> ComposeResult:
        s = self.stage
        with Vertical(classes="dialog"):
            yield Static(self.title_text or (_("Stage: {name}").format(name=s.name) if s else _("New stage")), classes="dialog-title")
            yield Label(_("Name"))
            yield Input(s.name if s else "", id="stage-name")
            yield Label(_("Default probability %"))
            yield Input(str(s.probability) if s else "", id="stage-prob", placeholder="0–100")
            yield Label(_("Days before a deal is stale (empty: never)"))
            yield Input(str(s.stale_days) if s and s.stale_days else "", id="stage-stale")
            yield Static("", id="stage-error", classes="form-error")
            with Horizontal(classes="dialog-buttons"):
                yield Button(_("Save") + " (Enter)", id="stage-ok", variant="primary")
                yield Button(_("Cancel") + " (Esc)", id="stage-cancel")

    def on_mount(self) -> None:
        self.query_one("#stage-name", Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_save()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.action_save() if event.button.id == "stage-ok" else self.dismiss(None)

    def action_cancel(self) -> None:
        self.dismiss(None)

    def action_save(self) -> None:
        values = {
            "name": self.query_one("#stage-name", Input).value,
            "probability": self.query_one("#stage-prob", Input).value.strip() or "0",
            "stale_days": self.query_one("#stage-stale", Input).value,
        }
        try:  # the same checks the service makes, said inline before closing
            deals._check_stage_values(values["name"], values["probability"], values["stale_days"])  # noqa: SLF001
        except ServiceError as exc:
            self.query_one("#stage-error", Static).update(error_text(exc))
            return
        self.dismiss(values)


class PipelineEditor(CrmScreen):
    PANE_TITLE = N_("Pipeline")
    AUTO_FOCUS = "#stages"
    BINDINGS = [
        Binding("escape", "back", "Back", id="pipeline.back"),
        Binding("a", "add", "Add stage", id="pipeline.add"),
        Binding("e,enter", "edit", "Edit", id="pipeline.edit"),
        Binding("d,delete", "remove", "Remove", id="pipeline.remove"),
        Binding("K,shift+up", "move(-1)", "Move up", id="pipeline.up"),
        Binding("J,shift+down", "move(1)", "Move down", id="pipeline.down"),
        Binding("R", "rename", "Rename pipeline", id="pipeline.rename"),
    ]

    def __init__(self, pipeline_id: int | None = None) -> None:
        super().__init__()
        self.pipeline_id = pipeline_id
        self.stages: list[StageInfo] = []
        self.pipeline_name = ""

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(id="pipeline-title")
        yield DataTable(id="stages", cursor_type="row", zebra_stripes=True)
        yield Static(_("Only an admin may change stages. A stage that holds deals cannot be removed: move its deals first."),
                     id="pipeline-help")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one("#stages", DataTable)
        table.add_columns(_("#"), _("Stage"), _("Kind"), _("Probability"), _("Stale after"), _("Deals"))
        if not self.actor.is_admin:
            self.notify(_("Only an admin may edit pipelines and stages."), severity="error")
        self.load()

    def load(self, select: int | None = None) -> None:
        def fetch():
            pid = self.pipeline_id or deals.default_pipeline().id
            from tuicrm.model import Pipeline

            return pid, Pipeline.get_by_id(pid).name, deals.stage_infos(pid)

        self.run_db(fetch, done=lambda r: self.show(*r, select=select), group="pipeline-load")

    def show(self, pid: int, name: str, stages: list[StageInfo], *, select: int | None = None) -> None:
        self.pipeline_id, self.pipeline_name, self.stages = pid, name, stages
        self.query_one("#pipeline-title", Static).update(Text(f"{_('Pipeline')}: {name}", style="bold"))
        table = self.query_one("#stages", DataTable)
        row = table.cursor_row
        table.clear()
        for i, s in enumerate(stages, 1):
            stale = _("{n} days").format(n=s.stale_days) if s.stale_days else "—"
            table.add_row(str(i), Text(s.name), _(KIND_LABELS.get(s.kind, s.kind)), f"{s.probability}%", stale, str(s.deals), key=str(s.id))
        if select is not None and select in [s.id for s in stages]:
            row = [s.id for s in stages].index(select)
        if stages:
            table.move_cursor(row=max(0, min(row, len(stages) - 1)))

    def current(self) -> StageInfo | None:
        table = self.query_one("#stages", DataTable)
        i = table.cursor_row
        return self.stages[i] if 0 <= i < len(self.stages) else None

    def _write(self, fn, *args, select: int | None = None, **kwargs) -> None:
        def ok(result) -> None:
            self.load(select=select if select is not None else (result if isinstance(result, int) else None))

        self.run_db(fn, self.actor, *args, done=ok, error=lambda exc: self.notify(error_text(exc), severity="error", timeout=8),
                    group="pipeline-write", **kwargs)

    def action_back(self) -> None:
        self.app.pop_screen()

    def action_add(self) -> None:
        after = self.current()

        def done(values) -> None:
            if values:
                self._write(deals.add_stage, self.pipeline_id, values["name"], values["probability"], values["stale_days"],
                            after_stage_id=after.id if after and after.kind == "open" else None)

        self.app.push_screen(StageForm(), done)

    def action_edit(self) -> None:
        s = self.current()
        if s is None:
            return

        def done(values) -> None:
            if values:
                self._write(deals.update_stage, s.id, s.row_version, select=s.id, **values)

        self.app.push_screen(StageForm(s), done)

    def action_remove(self) -> None:
        s = self.current()
        if s is None:
            return
        if s.deals:  # the service refuses too; said here in the user's language without asking first
            self.notify(_("The stage “{name}” still holds {n} deal(s): move them to another stage first.").format(
                name=s.name, n=s.deals), severity="error", timeout=8)
            return
        from tuicrm.ui.modals.confirm import ConfirmScreen

        def answer(ok) -> None:
            if ok:
                self._write(deals.remove_stage, s.id)

        self.app.push_screen(ConfirmScreen(_("Remove the stage “{name}”?").format(name=s.name)), answer)

    def action_move(self, step: int) -> None:
        s = self.current()
        if s is not None:
            self._write(deals.move_stage, s.id, step, select=s.id)

    def action_rename(self) -> None:
        def done(values) -> None:
            if values:
                self._write(deals.rename_pipeline, self.pipeline_id, values["name"])

        self.app.push_screen(PipelineNameForm(self.pipeline_name), done)


class PipelineNameForm(CrmModal["dict | None"]):
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="pipename.cancel")]

    def __init__(self, name: str) -> None:
        super().__init__()
        self.name_value = name

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(_("Rename pipeline"), classes="dialog-title")
            yield Input(self.name_value, id="pipeline-name")
            yield Static("", id="pipeline-error", classes="form-error")

    def on_mount(self) -> None:
        self.query_one("#pipeline-name", Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if not event.value.strip():
            self.query_one("#pipeline-error", Static).update(_("A pipeline needs a name."))
            return
        self.dismiss({"name": event.value})

    def action_cancel(self) -> None:
        self.dismiss(None)
