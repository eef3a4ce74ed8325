"""Display labels for codes stored in the base (phone kinds, activity kinds, outcomes, reasons),
and the small formatting helpers the Contacts pane and the card share."""

from __future__ import annotations

import datetime as dt

from tuicrm import formatting
from tuicrm.i18n import N_, _
from tuicrm.ui import phone_cache

from tuicrm.labels import (  # noqa: E402,F401 - the shared tables, re-exported for the panes
    ACTIVITY_KINDS as _ACTIVITY_KINDS,
    EMAIL_KINDS,
    HISTORY_KINDS,
    OUTCOMES,
    PHONE_KINDS,
    PHONE_REASONS,
    label,
)

ACTIVITY_KINDS = HISTORY_KINDS  # the card's timeline labels notes, deals and stage changes too
FIELD_LABELS = [
    N_("Last name"), N_("First name"), N_("Middle name"), N_("Position"), N_("Company"), N_("Birthday"), N_("Source"),
    N_("Owner"), N_("Legal form"), N_("Tax id"), N_("KPP"), N_("OGRN"), N_("Address"), N_("Site"), N_("Industry"),
    N_("Segment"),
]


def phone_text(session, e164: str | None, raw: str | None) -> str:
    if not raw and not e164:
        return ""
    s = session.settings
    # services.phones.format_phone, without importing phonenumbers for numbers already shown once
    return phone_cache.phone_text(e164, raw or "", s.phone_format, s.phone_region or phone_cache.DEFAULT_REGION)


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


def text_cells(table):
    """``table`` (a Rich Table) with every plain str cell added as literal text: Rich reads a str cell
    as markup, and names, titles and subjects may hold brackets ("Иван [/x]" raised a MarkupError)."""
    from rich.text import Text

    add_row = table.add_row
    table.add_row = lambda *cells, **kw: add_row(*(Text(c) if isinstance(c, str) else c for c in cells), **kw)
    return table
