"""New deal (client chosen by search, title, amount, expected close, probability) and editing a
deal's amount / expected close / probability. Bad input is said inline, under the form."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Input, Label, Static

from tuicrm.i18n import N_, _
from tuicrm.services import deals
from tuicrm.services.base import Conflict, ServiceError, ValidationError
from tuicrm.services.funnel import CardInfo
from tuicrm.ui.screens.base import CrmModal

FIELD_MESSAGES = {
    "amount": N_("The amount must be a number, zero or more (e.g. 125000 or 125 000,50)."),
    "probability": N_("Probability is a percent from 0 to 100; leave it empty for the stage's default."),
    "expected_close": N_("The expected close date is like 31.12.2026 or 2026-12-31."),
    "title": N_("A deal needs a title."),
    "loss_reason": N_("A lost deal needs a reason: choose one, or add one below."),
    "competitor": N_("This reason needs the competitor who won: choose one, or add one below."),
}


def error_text(exc: ServiceError) -> str:
    """A service error in the user's language (per field where we know the field)."""
    field = getattr(exc, "field", None)
    if isinstance(exc, ValidationError) and field in FIELD_MESSAGES:
        return _(FIELD_MESSAGES[field])
    return _(str(exc))


class DealForm(CrmModal["int | str | None"]):
    """Returns the deal id when saved, "conflict" when someone else changed the deal, None on cancel."""

    DEFAULT_CLASSES = "deal-modal"
    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="dealform.cancel"),
        Binding("ctrl+s", "save", "Save", id="dealform.save"),
        Binding("ctrl+k", "choose_client", "Client", id="dealform.client"),
    ]

    def __init__(self, card: CardInfo | None = None, *, stage_id: int | None = None,
                 person_id: int | None = None, company_id: int | None = None, client_name: str = "") -> None:
        super().__init__()
        self.card = card
        self.stage_id = stage_id
        self.client: tuple[int | None, int | None, str] | None = (person_id, company_id, client_name) if (person_id or company_id) else None

    # --- layout ------------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        card = self.card
        with Vertical(classes="dialog deal-form"):
            yield Static(_("Edit deal") if card else _("New deal"), classes="dialog-title")
            if card is None:
                with Horizontal(classes="form-row client-row"):
                    yield Static(self._client_label(), id="deal-client-chosen")
                    yield Button(_("Choose client") + " (ctrl+k)", id="deal-client")
            yield Label(_("Title"))
            yield Input(card.title if card else "", id="deal-title")
            with Horizontal(classes="form-row"):
                with Vertical():
                    yield Label(_("Amount"))
                    yield Input(deals.amount_text(card.amount_minor) if card else "", id="deal-amount", placeholder="125000")
                with Vertical():
                    yield Label(_("Expected close"))
                    close = card.expected_close.strftime("%d.%m.%Y") if card and card.expected_close else ""
                    yield Input(close, id="deal-close", placeholder=_("31.12.2026"))
                with Vertical():
                    yield Label(_("Probability %"))
                    prob = str(card.probability_own) if card and card.probability_own is not None else ""
                    default = str(card.probability) if card and card.probability_own is None else ""
                    yield Input(prob, id="deal-prob", placeholder=_("stage: {p}").format(p=default) if default else _("stage default"))
            yield Static("", id="deal-error", classes="form-error")
            with Horizontal(classes="dialog-buttons"):
                yield Button(_("Save") + " (ctrl+s)", id="deal-save", variant="primary")
                yield Button(_("Cancel") + " (Esc)", id="deal-cancel")

    def on_mount(self) -> None:
        if self.card is None:
            self.query_one("#deal-title", Input).focus()
            if self.client is None:
                self.action_choose_client()
        else:
            self.query_one("#deal-amount", Input).focus()

    def _client_label(self) -> str:
        if self.client is None:
            return _("No client chosen")
        return _("Client: {name}").format(name=self.client[2])

    # --- client: chosen with the shared picker (universal search) ----------------------------
    def action_choose_client(self) -> None:
        from tuicrm.ui.modals.client_picker import ClientPicker

        self.app.push_screen(ClientPicker(("person", "company"), title=_("Client of the deal")), self._picked)

    def _picked(self, hit) -> None:
        from tuicrm.ui.modals.client_picker import client_ids

        if hit is None:
            return
        label = hit.name + (f" — {hit.company}" if hit.kind == "person" and hit.company else "")
        self.client = (*client_ids(hit), label)
        self.query_one("#deal-client-chosen", Static).update(self._client_label())
        title = self.query_one("#deal-title", Input)
        if not title.value:
            title.value = hit.company or hit.name if hit.kind == "person" else hit.name
        title.focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_save()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "deal-save":
            self.action_save()
        elif event.button.id == "deal-client":
            self.action_choose_client()
        else:
            self.dismiss(None)

    def action_cancel(self) -> None:
        self.dismiss(None)

    # --- saving ------------------------------------------------------------------------------
    def _error(self, text: str) -> None:
        self.query_one("#deal-error", Static).update(Text(text))

    def read(self) -> dict:
        """The typed values, parsed; raises ValidationError naming the field."""
        value = lambda wid: self.query_one(wid, Input).value  # noqa: E731
        out: dict = {
            "title": value("#deal-title").strip(),
            "amount_minor": deals.parse_amount(value("#deal-amount") or "0"),
            "expected_close": deals.parse_close_date(value("#deal-close")),
            "probability": deals.parse_probability(value("#deal-prob")),
        }
        if not out["title"]:
            raise ValidationError("a deal needs a title", "title")
        return out

    def action_save(self) -> None:
        try:
            values = self.read()
        except ValidationError as exc:
            self._error(error_text(exc))
            return
        self._error("")
        if self.card is None:
            person_id, company_id = (self.client[0], self.client[1]) if self.client else (None, None)
            self.run_db(deals.create_deal, self.actor, values["title"], amount_minor=values["amount_minor"],
                        person_id=person_id, company_id=company_id, stage_id=self.stage_id,
                        expected_close=values["expected_close"], probability=values["probability"],
                        done=self.dismiss, error=self._failed, group="deal-save")
        else:
            self.run_db(deals.update_deal, self.actor, self.card.id, self.card.row_version, **values,
                        done=lambda _v: self.dismiss(self.card.id), error=self._failed, group="deal-save")

    def _failed(self, exc: ServiceError) -> None:
        if isinstance(exc, Conflict):
            self.dismiss("conflict")
        else:
            self._error(error_text(exc))

