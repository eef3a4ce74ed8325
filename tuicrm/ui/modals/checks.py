"""Live checks shown under form fields while the user types (pure: no database)."""

from __future__ import annotations

from tuicrm.i18n import _
from tuicrm.services import phones as phone_svc
from tuicrm.services.contacts import normalize_email, split_emails


def phone_lines(text: str) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def check_phones(text: str, region: str, style: str = "international") -> tuple[str, bool]:
    """('✓ +7 916 123-45-67 · ✗ 123: too short', all valid?) for a phones field."""
    parts: list[str] = []
    ok = True
    for line in phone_lines(text):
        for p in phone_svc.parse_cell(line, region):
            if p.is_valid:
                shown = phone_svc.format_phone(p.e164, p.raw, style, region)
                if p.extension:
                    shown += " " + _("ext. {n}").format(n=p.extension)
                parts.append(f"✓ {shown}")
            else:
                ok = False
                parts.append("✗ " + _("{raw}: {reason}").format(raw=p.raw, reason=_(p.reason or "not a valid number")))
    return " · ".join(parts), ok


def new_entries(phones: list[str], emails: list[str], loaded, region: str) -> tuple[list[str], list[str]]:
    """The phones and emails of a form that the card did not have when it was opened: only those
    are checked for duplicates (an office number shared with the company must not warn on every edit)."""
    if loaded is None:
        return phones, emails
    had = {p.e164 or p.raw for line in loaded.phones for p in phone_svc.parse_cell(line.raw, region)}
    fresh_phones = [line for line in phones if any((p.e164 or p.raw) not in had for p in phone_svc.parse_cell(line, region))]
    had_emails = {e.lower() for e in loaded.emails}
    return fresh_phones, [e for e in emails if e.lower() not in had_emails]


def check_emails(text: str) -> tuple[str, bool]:
    parts: list[str] = []
    ok = True
    for address in split_emails(text):
        address, valid = normalize_email(address)
        if valid:
            parts.append(f"✓ {address}")
        else:
            ok = False
            parts.append("✗ " + _("{address} is not an email address").format(address=address))
    return " · ".join(parts), ok


# --- typed dates ----------------------------------------------------------------------------------

import datetime as dt  # noqa: E402

from tuicrm import formatting  # noqa: E402
from tuicrm.labels import ACTIVITY_KINDS, OUTCOMES  # noqa: E402
from tuicrm.services.when import WhenError, parse_when  # noqa: E402

KIND_LABELS = ACTIVITY_KINDS
OUTCOME_LABELS = OUTCOMES


def now_local(app) -> dt.datetime:
    """The user's wall-clock now (naive), from the app's clock (tests freeze it)."""
    return formatting.to_local(app.clock(), app.user_zone()).replace(tzinfo=None)


def check_when(text: str, app) -> tuple[str, str, dt.datetime | None]:
    """(message, level, naive UTC or None) for a typed date/time."""
    if not (text or "").strip():
        return "", "hint", None
    now = now_local(app)
    try:
        local = parse_when(text, now)
    except WhenError as exc:
        return str(exc), "error", None
    assert local is not None
    shown = f"{formatting.weekday(local.date())}, {formatting.date(local.date())} {local:%H:%M}"
    utc = formatting.to_utc(local, app.user_zone())
    if local < now - dt.timedelta(minutes=1):
        return "⚠ " + _("{when} is in the past").format(when=shown), "warning", utc
    return "→ " + shown, "ok", utc
