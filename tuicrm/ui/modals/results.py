"""What the card forms return to whoever pushed them."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FormResult:
    kind: str  # "person" / "company"
    id: int
    opened_existing: bool = False  # the user chose "open it" on a duplicate warning: ``id`` is that card
