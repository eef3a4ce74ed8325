"""Display labels for codes stored in the base (phone kinds, activity kinds, outcomes, reasons),
and the small formatting helpers the Contacts pane and the card share."""

from __future__ import annotations

import datetime as dt

from tuicrm import formatting
from tuicrm.i18n import N_, _
from tuicrm.services import phones as phone_svc

PHONE_KINDS = {"mobile": N_("mobile"), "work": N_("work"), "home": N_("home"), "fax": N_("fax"), "other": N_("other")}
EMAIL_KINDS = {"work": N_("work"), "personal": N_("personal"), "other": N_("other")}
ACTIVITY_KINDS = {
    "call_out": N_("Outgoing call"), "call_in": N_("Incoming call"), "email": N_("Email"), "fax": N_("Fax"),
    "letter": N_("Letter"), "meeting": N_("Meeting"), "task": N_("Task"), "note": N_("Note"), "deal": N_("Deal"),
    "stage": N_("Stage"),
}
OUTCOMES = {
    "reached": N_("reached"), "no_answer": N_("no answer"), "busy": N_("busy"), "call_back": N_("call back"),
    "refused": N_("refused"), "other": N_("other"),
}
# the reasons services.phones gives for an invalid number
PHONE_REASONS = [
    N_("no digits"), N_("too many digits for one number"), N_("digits do not form one number"),
    N_("too short: no area code?"), N_("not a valid number"), N_("wrong number of digits"), N_("unknown country code"),
    N_("not a phone number"), N_("too short"), N_("too long"),
]
FIELD_LABELS = [
    N_("Last name"), N_("First name"), N_("Middle name"), N_("Position"), N_("Company"), N_("Birthday"), N_("Source"),
    N_("Owner"), N_("Legal form"), N_("Tax id"), N_("KPP"), N_("OGRN"), N_("Address"), N_("Site"), N_("Industry"),
    N_("Segment"),
]


def label(table: dict[str, str], code: str | None) -> str:
    if not code:
        return ""
    return _(table.get(code, code))


def phone_text(session, e164: str | None, raw: str | None) -> str:
    if not raw and not e164:
        return ""
    s = session.settings
    return phone_svc.format_phone(e164, raw or "", s.phone_format, s.phone_region or phone_svc.DEFAULT_REGION)


def reason_text(reason: str | None) -> str:
    return _(reason) if reason else _("not a valid number")


def when(app, value: dt.datetime | None, *, with_time: bool | None = True) -> str:
    """A stored UTC time in the user's zone: a short date (+ time). ``with_time=None``: the time
    only for today ("today 14:30")."""
    if value is None:
        return ""
    tz = app.user_zone()
    local = formatting.to_local(value, tz)
    if with_time is not False and local.date() == app.today_local():
        return _("today {time}").format(time=formatting.time(value, tz))
    if with_time is True:
        return f"{formatting.short_date(local.date())} {formatting.time(value, tz)}"
    return formatting.short_date(local.date())


def full_when(app, value: dt.datetime | None) -> str:
    if value is None:
        return ""
    tz = app.user_zone()
    local = formatting.to_local(value, tz)
    if local.year != app.today_local().year:
        return f"{formatting.date(local.date(), 'short')} {formatting.time(value, tz)}"
    return f"{formatting.short_date(local.date())} {formatting.time(value, tz)}"
