"""Shared pieces of the dialogs: a form base with inline errors, dirty tracking and Save/Cancel keys."""

from __future__ import annotations

from typing import Any, Generic, TypeVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widget import Widget
from textual.widgets import Input, Label, Select, Static, TextArea

from tuicrm.i18n import _
from tuicrm.services.base import Conflict, ServiceError, ValidationError
from tuicrm.ui.screens.base import CrmModal

T = TypeVar("T")


class FieldMessage(Static):
    """The line under a field: an error (``-error``), a warning or a hint; hidden when empty."""

    DEFAULT_CLASSES = "field-message"

    _shown: tuple[str, str] = ("", "")

    def show(self, text: str = "", level: str = "hint") -> None:
        if (text, level) == self._shown or (not text and not self._shown[0]):
            return  # unchanged: no relayout
        self._shown = (text, level)
        self.set_classes(f"field-message -{level}")
        self.update(Text(text))  # messages may quote what was typed: text, never markup
        self.display = bool(text)

    @property
    def level(self) -> str:
        return self._shown[1]

    @property
    def text(self) -> str:
        return str(self.render()) if self.display else ""

    def on_mount(self) -> None:
        self.display = False


def field(label: str, widget: Widget, name: str) -> ComposeResult:
    """A labelled row and its message line (``#<name>-msg``)."""
    with Horizontal(classes="field-row", id=f"{name}-row"):
        yield Label(label, classes="field-label")
        yield widget
    yield FieldMessage(id=f"{name}-msg")


def field_widgets(label: str, widget: Widget, name: str) -> list[Widget]:
    """``field()`` for widgets mounted after compose (custom fields)."""
    return [Horizontal(Label(label, classes="field-label"), widget, classes="field-row", id=f"{name}-row"),
            FieldMessage(id=f"{name}-msg")]


def select_value(sel: Select) -> Any:
    return None if sel.is_blank() else sel.value


class FormModal(CrmModal[T], Generic[T]):
    """A dialog form: ctrl+s saves, Escape cancels (asking first if something was typed).

    Subclasses call ``self.filling()`` around programmatic value changes, use ``self.say(name, text)``
    for inline messages and ``self.save_failed`` as the ``error=`` of their save call.
    """

    BINDINGS = [
        Binding("ctrl+s", "save", "Save", id="form.save", priority=True),
        Binding("escape", "cancel", "Cancel", id="form.cancel"),
    ]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.dirty = False
        self._filling = 0
        self._baseline: tuple | None = None

    @property
    def saving(self) -> bool:
        """A save is on its way (a second ctrl+s is ignored). Derived from the workers, so a
        failed save — even a lost connection, reported by run_db — frees the key again."""
        return any(w.node is self and w.group == "form-save" and not w.is_finished for w in self.app.workers)

    # --- dirty state ----------------------------------------------------------------------
    @property
    def unsaved_key(self) -> str:
        return f"form-{id(self)}"

    def set_dirty(self, value: bool = True) -> None:
        if value == self.dirty:
            return
        self.dirty = value
        mark = getattr(self.app, "mark_unsaved", None)
        if callable(mark):
            mark(self.unsaved_key, value)

    class _Filling:
        def __init__(self, form: "FormModal") -> None:
            self.form = form

        def __enter__(self):
            self.form._filling += 1

        def __exit__(self, *exc):
            self.form._filling = max(0, self.form._filling - 1)
            if not self.form.dirty:
                self.form.take_baseline()  # values the program put in are not "typed"

    def filling(self) -> "_Filling":
        return FormModal._Filling(self)

    def snapshot(self) -> tuple:
        """Everything the user can change (inputs, text areas, selects, checkboxes + ``extra_state``)."""
        values = []
        for w in self.query("Input, TextArea, Select, Checkbox"):
            if isinstance(w, TextArea):
                values.append((w.id, w.text))
            else:
                values.append((w.id, getattr(w, "value", None)))
        return tuple(values) + tuple(self.extra_state())

    def extra_state(self) -> tuple:
        """State kept outside widgets that counts as typed (override)."""
        return ()

    def take_baseline(self) -> None:
        self._baseline = self.snapshot()

    def recheck_dirty(self) -> None:
        if getattr(self, "_baseline", None) is None or self._filling:
            return
        self.set_dirty(self.snapshot() != self._baseline)

    def on_mount(self) -> None:
        # runs after the subclass's on_mount (Textual calls the handlers of every class)
        self.take_baseline()

    def on_input_changed(self, event: Input.Changed) -> None:
        self.recheck_dirty()
        self.field_changed(event.input.id or "", event.value)

    def on_text_area_changed(self, event: TextArea.Changed) -> None:
        self.recheck_dirty()
        self.field_changed(event.text_area.id or "", event.text_area.text)

    def on_select_changed(self, event: Select.Changed) -> None:
        self.recheck_dirty()
        self.field_changed(event.select.id or "", event.value)

    def field_changed(self, name: str, value: Any) -> None:
        """Live checks of a field (override)."""

    # --- messages ---------------------------------------------------------------------------
    def say(self, name: str, text: str = "", level: str = "error") -> None:
        try:
            self.query_one(f"#{name}-msg", FieldMessage).show(text, level)
        except Exception:  # noqa: BLE001 - a form without that field: say it as a notification
            if text:
                self.notify(text, severity="error" if level == "error" else "warning")

    def message_of(self, name: str) -> str:
        try:
            return self.query_one(f"#{name}-msg", FieldMessage).text
        except Exception:  # noqa: BLE001
            return ""

    def focus_field(self, name: str) -> None:
        try:
            self.query_one(f"#{name}").focus()
        except Exception:  # noqa: BLE001
            pass

    def save_failed(self, exc: ServiceError) -> None:
        """Default error handler of a save: a field error inline, a conflict explained, else a notice."""
        if isinstance(exc, Conflict):
            self.on_conflict(exc)
            return
        if isinstance(exc, ValidationError) and exc.field:
            name = self.FIELD_ALIASES.get(exc.field, exc.field)
            try:
                self.query_one(f"#{name}-msg")
            except Exception:  # noqa: BLE001
                self.notify(str(exc), severity="error", timeout=8)
                return
            self.say(name, str(exc))
            self.focus_field(name)
            return
        self.notify(str(exc), severity="error", timeout=8)

    FIELD_ALIASES: dict[str, str] = {}

    def on_conflict(self, exc: Conflict) -> None:
        self.notify(
            _("Someone else changed this record meanwhile. Reload it and apply your change again."),
            severity="error", timeout=10,
        )

    # --- card forms: duplicate check, then save ------------------------------------------------
    def check_then_save(self, kind: str, dup_kwargs: dict, save_fn, *save_args, **save_kwargs) -> None:
        """find_duplicates → (warning: open it / save anyway / back) → save_fn → FormResult."""
        from tuicrm.services import contacts


        def write() -> None:
            self.run_db(save_fn, *save_args, **save_kwargs, done=lambda r: self._card_saved(kind, r),
                        error=self.save_failed, group="form-save")

        def found(refs) -> None:
            if not refs:
                write()
                return
            from tuicrm.ui.modals.duplicates import DuplicateWarning
            from tuicrm.ui.modals.results import FormResult

            def answer(choice) -> None:
                if choice is None:
                    return
                what, ref = choice
                if what == "open":
                    self.finish(FormResult(ref.kind, ref.id, opened_existing=True))
                else:
                    write()

            self.app.push_screen(DuplicateWarning(refs), answer)

        self.run_db(contacts.find_duplicates, self.actor, **dup_kwargs, done=found, error=self.save_failed, group="form-save")

    def _card_saved(self, kind: str, result: tuple[int, int]) -> None:
        from tuicrm.ui.modals.results import FormResult

        self.notify(_("Saved"), timeout=3)
        self.finish(FormResult(kind, result[0]))

    # --- keys ---------------------------------------------------------------------------------
    def action_save(self) -> None:
        """Override."""

    def action_cancel(self) -> None:
        if not self.dirty:
            self.finish(None)
            return
        from tuicrm.ui.modals.confirm import ConfirmScreen

        def answer(ok: bool | None) -> None:
            if ok:
                self.finish(None)

        self.app.push_screen(ConfirmScreen(_("Discard what you typed?"), default=False), answer)

    def finish(self, value: Any) -> None:
        self.set_dirty(False)
        self.dismiss(value)

    def on_unmount(self) -> None:
        mark = getattr(self.app, "mark_unsaved", None)
        if callable(mark):
            mark(self.unsaved_key, False)


class CustomFieldsMixin:
    """The admin-defined fields of a person/company form: mounted into ``#custom-fields`` once the
    field list is loaded, filled from ``PersonData.custom``, checked as typed, collected on save."""

    custom_defs: list = []
    _custom_values: dict | None = None

    def load_custom_fields(self, entity: str) -> None:
        from tuicrm.services import contacts

        self.custom_defs = []
        self.run_db(contacts.custom_fields, entity, done=self._custom_fields_loaded, group="form-custom")

    async def _custom_fields_loaded(self, defs) -> None:
        self.custom_defs = list(defs)
        if not defs:
            return
        box = self.query_one("#custom-fields")
        widgets: list[Widget] = []
        values = self._custom_values or {}
        for f in defs:
            hint = " / ".join(f.choices) if f.kind == "choice" else {"date": _("dd.mm.yyyy"), "number": "0"}.get(f.kind, "")
            label = f.label if len(f.label) <= 13 else f.label[:12] + "…"
            widgets += field_widgets(label, Input(values.get(f.id, ""), placeholder=hint, id=f"cf-{f.id}", compact=True), f"cf-{f.id}")
        with self.filling():
            await box.mount(*widgets)
            for f in defs:  # values that arrived while mounting
                if self._custom_values and f.id in self._custom_values:
                    self.query_one(f"#cf-{f.id}", Input).value = self._custom_values[f.id]

    def fill_custom(self, values: dict[int, str] | None) -> None:
        self._custom_values = dict(values or {})
        for f in self.custom_defs:
            try:
                self.query_one(f"#cf-{f.id}", Input).value = self._custom_values.get(f.id, "")
            except Exception:  # noqa: BLE001 - not mounted yet: built with the values
                pass

    def check_custom(self, name: str, value: str) -> bool:
        from tuicrm.services.contacts import parse_custom

        fid = int(name.removeprefix("cf-"))
        f = next((f for f in self.custom_defs if f.id == fid), None)
        if f is None or not value.strip():
            self.say(name)
            return True
        try:
            parse_custom(f.kind, value, f.choices)
        except ValidationError as exc:
            self.say(name, str(exc))
            return False
        self.say(name)
        return True

    def collect_custom(self) -> tuple[dict[int, str] | None, bool]:
        """({field id: text} or None when there are no custom fields, all valid?)."""
        if not self.custom_defs:
            return None, True
        out: dict[int, str] = {}
        ok = True
        for f in self.custom_defs:
            text = self.query_one(f"#cf-{f.id}", Input).value.strip()
            ok = self.check_custom(f"cf-{f.id}", text) and ok
            out[f.id] = text
        return out, ok
