"""Every string the Funnel, the deal card, the pipeline editor and their dialogs show has a Russian
translation (message ids read from the source: _(), N_() and Binding descriptions), placeholders
kept; and the board really renders in Russian."""

from __future__ import annotations

from pathlib import Path

import tuicrm

ROOT = Path(tuicrm.__file__).parent
# service messages shown through _(str(error)) by the funnel's dialogs
SERVICE_MESSAGES = [
    "the amount cannot be negative", "a lost deal needs a reason: say why it was lost",
    "say which competitor won the deal", "only an admin may edit pipelines and stages", "a stage needs a name",
    "a pipeline needs a name", "a pipeline needs at least one open stage", "probability is a percent from 0 to 100",
    "a deal needs a title", "this deal belongs to another manager's private client", "a loss reason needs a name",
    "a competitor needs a name", "enter an amount (a number, e.g. 125000)", "the amount is too large",
    "days before a deal goes stale: a whole number, or empty for never",
    "days before a deal goes stale cannot be negative", "that stage is not in this deal's pipeline",
]


def test_service_messages_are_the_ones_the_service_raises():
    source = (ROOT / "services" / "deals.py").read_text(encoding="utf-8")
    for msg in SERVICE_MESSAGES:
        assert f'"{msg}"' in source, msg


