"""Display labels for the codes stored in the base (phone and email kinds, activity kinds,
outcomes, the reasons a phone is flagged) — one table each, shared by the UI and the CLI.
English message ids; ``label()`` translates into the current language. No Textual here."""

from __future__ import annotations

from tuicrm.i18n import N_, _

PHONE_KINDS = {"mobile": N_("mobile"), "work": N_("work"), "home": N_("home"), "fax": N_("fax"), "other": N_("other")}
EMAIL_KINDS = {"work": N_("work"), "personal": N_("personal"), "other": N_("other")}
ACTIVITY_KINDS = {
    "call_out": N_("Outgoing call"), "call_in": N_("Incoming call"), "email": N_("Email"), "fax": N_("Fax"),
    "letter": N_("Letter"), "meeting": N_("Meeting"), "task": N_("Task"),
}
# history entries that are not activities
HISTORY_KINDS = {**ACTIVITY_KINDS, "note": N_("Note"), "deal": N_("Deal"), "stage": N_("Stage")}
OUTCOMES = {
    "reached": N_("reached"), "no_answer": N_("no answer"), "busy": N_("busy"), "call_back": N_("call back"),
    "refused": N_("refused"), "other": N_("other"),
}
# the reasons services.phones gives for an invalid number
PHONE_REASONS = [
    N_("no digits"), N_("too many digits for one number"), N_("digits do not form one number"),
    N_("too short: no area code?"), N_("not a valid number"), N_("wrong number of digits"), N_("unknown country code"),
    N_("not a phone number"), N_("too short"), N_("too long"), N_("too long for a phone number"),
]


def label(table: dict[str, str], code: str | None) -> str:
    if not code:
        return ""
    return _(table.get(code, code))
