"""Numbered schema migrations.

A fresh base is created from the current models and stamped with the latest version; an older
base gets each later migration in order. Each migration is a module ``mNNNN_name.py`` with
``up(migrator, db)``; the list below is the single source of truth for ``LATEST``.
"""

from __future__ import annotations

import importlib
from types import ModuleType

NAMES = [
    "m0001_initial",
    "m0002_report_index",
    "m0003_stage_entered_at",
    "m0004_activity_day",
    "m0005_person_tokens_own",
    "m0006_no_prefix_indexes",
]


def load() -> list[tuple[int, ModuleType]]:
    out = []
    for name in NAMES:
        number = int(name[1:5])
        out.append((number, importlib.import_module(f"{__name__}.{name}")))
    return out


LATEST = int(NAMES[-1][1:5])
