"""Version 4: the ``activity_day`` summary (per UTC day, manager and kind: done, reached, planned,
planned and done) and the triggers on ``activity`` that keep it (tuicrm/db/activity_summary.py).

The activity report reads the whole UTC days of a period from it instead of ~1M activity index
entries a year (services/reports.py). Backfill: one GROUP BY over ``activity``.
"""


def up(migrator, db):
    from tuicrm.db import activity_summary

    activity_summary.install(db)
