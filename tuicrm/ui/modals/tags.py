"""Edit a card's tags: a comma-separated list completed from the tags already in the base."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.suggester import Suggester
from textual.widgets import Footer, Input, Static

from tuicrm.i18n import _
from tuicrm.services import contacts
from tuicrm.services.base import search_key
from tuicrm.ui.modals.common import FieldMessage, FormModal, field


def split(text: str) -> list[str]:
    return [t.strip() for t in text.split(",") if t.strip()]


class TagSuggester(Suggester):
    """Completes the tag being typed (after the last comma) from the known tags."""

    def __init__(self) -> None:
        super().__init__(use_cache=False, case_sensitive=True)
        self.known: list[str] = []

    async def get_suggestion(self, value: str) -> str | None:
        head, sep, last = value.rpartition(",")
        typed = last.lstrip()
        if not typed:
            return None
        key = search_key(typed)
        already = {search_key(t) for t in split(head)}
        for tag in self.known:
            k = search_key(tag)
            if k.startswith(key) and k != key and k not in already:
                prefix = value[: len(value) - len(typed)]
                return prefix + typed + tag[len(typed):]
        return None


class TagsModal(FormModal[bool]):
    FIELD_ALIASES = {"tags": "tags"}

    def __init__(self, kind: str, id: int) -> None:  # noqa: A002 - the agreed signature
        super().__init__()
        self.card_kind = kind
        self.card_id = id
        self.suggester = TagSuggester()
        self.read: list[str] | None = None  # the tags as loaded (optimistic check on save)

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog form-dialog"):
            yield Static(_("Tags"), classes="dialog-title", id="form-title")
            yield from field(_("Tags"), Input(id="tags", placeholder=_("vip, wholesale, Moscow"), suggester=self.suggester,
                                              compact=True), "tags")
            yield Static("", id="known-tags", classes="field-message -hint")
            yield FieldMessage(id="save-msg")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#tags", Input).focus()
        key = {"person_id": self.card_id} if self.card_kind == "person" else {"company_id": self.card_id}
        self.run_db(contacts.tags_of, done=self._current, group="form-load", **key)
        self.run_db(contacts.tag_names, "", 2000, done=self._known, group="form-known")

    def _current(self, names: list[str]) -> None:
        self.read = list(names)
        with self.filling():
            inp = self.query_one("#tags", Input)
            inp.value = ", ".join(names) + (", " if names else "")
            inp.cursor_position = len(inp.value)

    def _known(self, names: list[str]) -> None:
        self.suggester.known = names
        self._show_known(self.query_one("#tags", Input).value)

    def _show_known(self, value: str) -> None:
        head, _sep, last = value.rpartition(",")
        key = search_key(last.strip())
        chosen = {search_key(t) for t in split(value)}
        matches = [t for t in self.suggester.known if search_key(t).startswith(key) and search_key(t) not in chosen][:8]
        text = (_("Existing: {tags}").format(tags=", ".join(matches)) if matches else "") + \
            ("  · " if matches else "") + _("→ completes, comma separates")
        self.query_one("#known-tags", Static).update(Text(text))  # tag names: text, never markup

    def field_changed(self, name: str, value) -> None:
        if name == "tags":
            self._show_known(value)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_save()

    def action_save(self) -> None:
        if self.saving:
            return
        names = split(self.query_one("#tags", Input).value)
        too_long = [n for n in names if len(n) > 100]
        if too_long:
            self.say("tags", _("a tag is at most 100 characters: {tag}…").format(tag=too_long[0][:20]))
            return
        self.run_db(contacts.set_card_tags, self.actor, self.card_kind, self.card_id, names, self.read,
                    done=self._saved, error=self.save_failed, group="form-save")

    def _saved(self, names: list[str]) -> None:
        self.notify(_("Tags: {tags}").format(tags=", ".join(names) or _("none")), timeout=3)
        self.finish(True)

    def on_conflict(self, exc) -> None:
        key = {"person_id": self.card_id} if self.card_kind == "person" else {"company_id": self.card_id}

        def reloaded(names: list[str]) -> None:
            self.read = list(names)
            self.say("save", _("changed meanwhile to: {value}").format(value=", ".join(names) or _("(empty)")) + " — " +
                     _("ctrl+s saves yours over it"), "warning")

        self.run_db(contacts.tags_of, done=reloaded, group="form-load", **key)

    def finish(self, value) -> None:
        super().finish(bool(value))
