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
