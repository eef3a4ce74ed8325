"""Version 2: index Activity (assignee, kind, done_at, outcome, archived_at) for the activity report.

SQLite reads the done activities of a period per manager × kind × bucket from this index alone,
one seek each, and groups them in index order (services/reports.py). Additive: no data changes.
A base created at version 2 or later has it from the model (Activity.Meta.indexes).
"""


def up(migrator, db):
    db.execute_sql(
        'CREATE INDEX IF NOT EXISTS "activity_assignee_id_kind_done_at_outcome_archived_at" '
        'ON "activity" ("assignee_id", "kind", "done_at", "outcome", "archived_at")'
    )
