"""Merge two cards: pick the other one, see both side by side, choose which survives.
Everything of the dropped card moves to the survivor (services.contacts.merge)."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Footer, Static

from tuicrm.i18n import _
from tuicrm.services import cards, contacts
from tuicrm.services import phones as phone_svc
from tuicrm.ui.modals.client_picker import ClientPicker
from tuicrm.ui.modals.common import FieldMessage, FormModal


def _load_pair(actor, kind: str, a: int, b: int):
    return (cards.card(actor, kind, a), contacts.card_counts(kind, a), cards.card(actor, kind, b), contacts.card_counts(kind, b))


class MergeModal(FormModal["tuple[str, int] | None"]):
    BINDINGS = [
        Binding("ctrl+s", "save", "Merge", id="merge.save", priority=True),
        Binding("left,1", "keep(0)", "Keep left", id="merge.left"),
        Binding("right,2", "keep(1)", "Keep right", id="merge.right"),
        Binding("ctrl+o", "pick", "Other card", id="merge.pick"),
        Binding("enter", "save", "Merge", id="merge.enter", show=False),
    ]

    def __init__(self, kind: str, id: int) -> None:  # noqa: A002 - the agreed signature
        super().__init__()
        self.card_kind = kind
        self.card_id = id
        self.other_id: int | None = None
        self.keep = 0  # 0: this card (left), 1: the other one (right)
        self.pair = None

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog form-dialog"):
            yield Static(_("Merge two cards"), classes="dialog-title")
            with Horizontal(classes="side-by-side"):
                yield Static("", id="left", classes="merge-card")
                yield Static("", id="right", classes="merge-card")
            yield Static("", id="merge-help", classes="dialog-hint")
            yield FieldMessage(id="merge-msg")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#merge-help", Static).update(_("Choose the other card…"))
        self.action_pick()

    def action_pick(self) -> None:
        title = _("Merge with which company?") if self.card_kind == "company" else _("Merge with which person?")

        def picked(hit) -> None:
            if hit is None:
                if self.other_id is None:
                    self.finish(None)
                return
            self.other_id = hit.id
            self.run_db(_load_pair, self.actor, self.card_kind, self.card_id, hit.id, done=self._loaded,
                        error=self.save_failed, group="form-load")

        self.app.push_screen(ClientPicker((self.card_kind,), title=title, exclude=(self.card_kind, self.card_id)), picked)

    def _loaded(self, pair) -> None:
        self.pair = pair
        self._show_pair()

    def _describe(self, card, counts, keep: bool) -> Text:
        s = self.settings
        text = Text()
        text.append(("✓ " + _("KEEP")) if keep else ("✗ " + _("merge into the other")), style="bold")
        text.append("\n")
        text.append(card.name + "\n", style="bold")
        if card.company:
            text.append(card.company + "\n")
        if card.position:
            text.append(card.position + "\n")
        for p in card.phones[:4]:
            text.append("☎ " + phone_svc.format_phone(p.e164, p.raw, s.phone_format, s.phone_region) + "\n")
        if len(card.phones) > 4:
            text.append(_("… {n} more").format(n=len(card.phones) - 4) + "\n")
        for e in card.emails[:2]:
            text.append("✉ " + e.address + "\n")
        text.append(_("Owner: {name}").format(name=card.owner or "—") + "\n")
        text.append(_("{a} activities · {d} deals · {n} notes").format(a=counts.activities, d=counts.deals, n=counts.notes))
        if counts.persons:
            text.append("\n" + _("{n} persons").format(n=counts.persons))
        return text

    def _show_pair(self) -> None:
        if self.pair is None:
            return
        a, ca, b, cb = self.pair
        left, right = self.query_one("#left", Static), self.query_one("#right", Static)
        left.update(self._describe(a, ca, self.keep == 0))
        right.update(self._describe(b, cb, self.keep == 1))
        left.set_class(self.keep == 0, "-keep")
        left.set_class(self.keep == 1, "-drop")
        right.set_class(self.keep == 1, "-keep")
        right.set_class(self.keep == 0, "-drop")
        self.query_one("#merge-help", Static).update(
            _("←/→ or 1/2: which card survives · ctrl+s merge · all phones, emails, history and deals are kept"))

    def action_keep(self, side: int) -> None:
        self.keep = side
        self._show_pair()

    def action_save(self) -> None:
        if self.saving or self.pair is None:
            return
        a, _ca, b, _cb = self.pair
        keep, drop = (a, b) if self.keep == 0 else (b, a)
        self.run_db(contacts.merge, self.actor, self.card_kind, keep.id, drop.id, keep_version=keep.row_version,
                    drop_version=drop.row_version, done=self._merged, error=self.save_failed, group="form-save")

    def _merged(self, result: contacts.MergeResult) -> None:
        self.notify(_("Merged into «{name}»").format(name=self.pair[0].name if self.keep == 0 else self.pair[2].name), timeout=5)
        self.finish((result.kind, result.keep_id))

    def on_conflict(self, exc) -> None:
        self.notify(_("One of the cards was changed meanwhile; reloaded — check and merge again."), severity="warning", timeout=8)
        if self.other_id is not None:
            self.run_db(_load_pair, self.actor, self.card_kind, self.card_id, self.other_id, done=self._loaded, group="form-load")

    def action_cancel(self) -> None:
        self.finish(None)
