"""Version 3: StageChange.entered_at = when the deal entered ``from_stage``.

The changed_at of the deal's previous change in (changed_at, id) order; NULL for a deal's first
change. The funnel report's time in stage becomes SUM(changed_at - entered_at) over the period's
changes instead of a LAG window over the whole history (services/reports.py). New changes get it
from their writers (services.deals, the importer, bench/generate.py).

Backfill: one statement, a LAG window per deal (SQLite >= 3.25, PostgreSQL), written through
UPDATE ... FROM where the engine has it (PostgreSQL; SQLite >= 3.33), else a correlated lookup
through the (deal_id, changed_at) index. Then the two indexes the funnel reads are widened:
(deal_id, changed_at) + to_stage_id, (changed_at, to_stage_id, deal_id, from_stage_id) + entered_at.
"""

import sqlite3

import peewee

_LAG = ('SELECT "id", LAG("changed_at") OVER (PARTITION BY "deal_id" ORDER BY "changed_at", "id") AS "prev" '
        'FROM "stage_change"')

BACKFILL_UPDATE_FROM = (
    'UPDATE "stage_change" SET "entered_at" = "p"."prev" '
    f'FROM ({_LAG}) AS "p" '
    'WHERE "p"."id" = "stage_change"."id" AND "p"."prev" IS NOT NULL'
)

BACKFILL_CORRELATED = (
    'UPDATE "stage_change" SET "entered_at" = ('
    'SELECT "s2"."changed_at" FROM "stage_change" AS "s2" WHERE "s2"."deal_id" = "stage_change"."deal_id" '
    'AND ("s2"."changed_at" < "stage_change"."changed_at" '
    'OR ("s2"."changed_at" = "stage_change"."changed_at" AND "s2"."id" < "stage_change"."id")) '
    'ORDER BY "s2"."changed_at" DESC, "s2"."id" DESC LIMIT 1)'
)


def backfill_sql(db) -> str:
    if isinstance(db, peewee.SqliteDatabase) and sqlite3.sqlite_version_info < (3, 33, 0):
        return BACKFILL_CORRELATED
    return BACKFILL_UPDATE_FROM


# the indexes of StageChange.Meta at version 3 replace two of version 2 (each new one has the old
# one's columns as its prefix, so every query that used the old one can use the new one)
INDEXES = [
    ("stage_change_deal_id_changed_at", "stage_change_deal_id_changed_at_to_stage_id",
     '("deal_id", "changed_at", "to_stage_id")'),
    ("stage_change_changed_at_to_stage_id_deal_id_from_stage_id",
     "stage_change_changed_at_to_stage_id_deal_id_from_stage_i_af22965",  # peewee shortens names over 64 characters
     '("changed_at", "to_stage_id", "deal_id", "from_stage_id", "entered_at")'),
]


def up(migrator, db):
    from playhouse.migrate import migrate

    if "entered_at" not in {c.name for c in db.get_columns("stage_change")}:
        # version 2 has none of the new indexes: one found here was made from the version-3 model
        # before the column existed, and SQLite then reads "entered_at" as a string literal — an
        # index on a constant that the new column would contradict (the file reads as malformed)
        for _old, new, _columns in INDEXES:
            db.execute_sql(f'DROP INDEX IF EXISTS "{new}"')
        migrate(migrator.add_column("stage_change", "entered_at", peewee.DateTimeField(null=True)))
    db.execute_sql(backfill_sql(db))
    for old, new, columns in INDEXES:
        db.execute_sql(f'CREATE INDEX IF NOT EXISTS "{new}" ON "stage_change" {columns}')
        db.execute_sql(f'DROP INDEX IF EXISTS "{old}"')
