"""A note on a person, company or deal (or edit one: ``note_id``)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Footer, Static, TextArea

from tuicrm.i18n import _
from tuicrm.services import notes
from tuicrm.ui.modals.common import FieldMessage, FormModal


class NoteModal(FormModal["int | None"]):
    FIELD_ALIASES = {"text": "text"}

    def __init__(self, person_id: int | None = None, company_id: int | None = None, deal_id: int | None = None,
                 *, note_id: int | None = None) -> None:
        super().__init__()
        self.person_id, self.company_id, self.deal_id = person_id, company_id, deal_id
        self.note_id = note_id
        self.row_version: int | None = None

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog form-dialog"):
            yield Static(_("Edit note") if self.note_id else _("New note"), classes="dialog-title")
            yield TextArea(id="text", classes="note-text", placeholder=_("What happened, what was agreed…"))
            yield FieldMessage(id="text-msg")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#text", TextArea).focus()
        if self.note_id:
            self.run_db(notes.get_note, self.note_id, done=self._loaded, group="form-load")

    def _loaded(self, note) -> None:
        self.row_version = note.row_version
        with self.filling():
            self.query_one("#text", TextArea).text = note.text

    def field_changed(self, name: str, value) -> None:
        if name == "text" and value.strip():
            self.say("text")

    def action_save(self) -> None:
        if self.saving:
            return
        text = self.query_one("#text", TextArea).text
        if not text.strip():
            self.say("text", _("a note cannot be empty"))
            return
        if self.note_id:
            self.run_db(notes.edit_note, self.actor, self.note_id, self.row_version, text,
                        done=lambda _v: self._saved(self.note_id), error=self.save_failed, group="form-save")
        else:
            self.run_db(notes.add_note, self.actor, text, person_id=self.person_id, company_id=self.company_id,
                        deal_id=self.deal_id, done=self._saved, error=self.save_failed, group="form-save")

    def _saved(self, note_id: int) -> None:
        self.notify(_("Note saved"), timeout=3)
        self.finish(note_id)

    def on_conflict(self, exc) -> None:
        self.notify(_("Someone else changed this note meanwhile; it was reloaded below your text. "
                      "ctrl+s saves yours over it."), severity="warning", timeout=10)
        self.run_db(notes.get_note, self.note_id, done=self._reloaded, group="form-load")

    def _reloaded(self, note) -> None:
        self.row_version = note.row_version
        self.say("text", _("changed meanwhile to: {value}").format(value=note.text[:300]), "warning")
