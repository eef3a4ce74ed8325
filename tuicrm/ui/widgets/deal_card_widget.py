"""One deal on the board: title, client, amount · owner, days in stage · next step (or a mark)."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

from rich.text import Text
from textual.widgets import Static

from tuicrm import formatting, i18n
from tuicrm.i18n import _
from tuicrm.services.funnel import CardInfo


@lru_cache(maxsize=8192)
def _money(amount_minor: int, currency: str, lang: str) -> str:
    return formatting.money(amount_minor, currency)


def money(amount_minor: int, currency: str = "RUB") -> str:
    """formatting.money, remembered: babel takes ~1 ms a call and the board shows dozens of sums."""
    return _money(int(amount_minor or 0), currency, i18n.language())


@lru_cache(maxsize=512)
def _short_date(value: dt.date, lang: str) -> str:
    return formatting.short_date(value)


def short_date(value: dt.date) -> str:
    return _short_date(value, i18n.language())


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[: max(0, width - 1)] + "…"


class DealCardWidget(Static):
    """Not focusable: the Funnel screen keeps the cursor and marks the selected card."""

    DEFAULT_CLASSES = "deal-card"

    def __init__(self, info: CardInfo, *, today: dt.date | None = None, zone=None, closed: bool = False) -> None:
        super().__init__()
        self.today = today
        self.zone = zone
        self.closed = closed  # in Won/Lost: no "next step" mark
        self.info = info
        self.show(info)

    def show(self, info: CardInfo) -> None:
        self.info = info
        self.set_class(info.stale, "-stale")
        self.set_class(info.next_at is None and not self.closed, "-no-next")
        self.update(self.render_text(info))

    def render_text(self, info: CardInfo, width: int = 22) -> Text:
        t = Text(no_wrap=True, overflow="ellipsis")
        t.append(_cut(info.title, width), style="bold")
        t.append("\n")
        t.append(_cut(info.client or _("no client"), width), style="italic" if not info.client else "")
        t.append("\n")
        owner = info.owner.split()[0] if info.owner else "—"
        t.append(_cut(f"{money(info.amount_minor, info.currency)} · {owner}", width))
        t.append("\n")
        days = _("{n}d").format(n=info.days_in_stage)
        if info.stale:
            t.append(f"⚠{days}", style="bold reverse")
        else:
            t.append(days)
        if self.closed:
            return t
        t.append(" · ")
        if info.next_at is None:
            t.append(_("no next step"), style="bold underline")
        else:
            local = formatting.to_local(info.next_at, self.zone)
            when = short_date(local.date()) if local else ""
            overdue = self.today is not None and local is not None and local.date() < self.today
            t.append(("!" if overdue else "→") + when, style="bold" if overdue else "")
        return t
