"""Version 6: no foreign-key index that repeats the first column of another index.

peewee gives every foreign key an index of its own. On the tables an import writes, eight of them
repeat the first column of a composite index that answers the same lookups (and more):

- ``person_owner_id`` and ``company_owner_id`` beside ``(owner_id, name_key)``;
- ``person_tag_person_id`` and ``company_tag_company_id`` beside the unique ``(person_id, tag_id)`` and
  ``(company_id, tag_id)``;
- ``import_item_batch_id`` beside ``(batch_id, entity)``;
- ``note_person_id``, ``note_company_id`` and ``note_deal_id`` beside ``(…, created_at)``.

Each cost every insert into its table a B-tree insert of its own, and the base its pages (an import of
100,000 persons wrote ≈ 225,000 such entries). SQLite and PostgreSQL find a row by the leading column
of a composite index as they did by the single one, and the foreign keys' ON DELETE actions look the
child rows up the same way. A base created at version 6 or later never has them (``index=False`` on
those fields). Drops only: no data changes.

The deal side (deals, stage changes) keeps its indexes as they are: they were chosen one by one for
the funnel's and the reports' query plans (bench/bench_funnel.py, bench_reports.py), and an import
writes a deal for a few rows at most.
"""

REDUNDANT = (
    "person_owner_id", "company_owner_id", "person_tag_person_id", "company_tag_company_id",
    "import_item_batch_id", "note_person_id", "note_company_id", "note_deal_id",
)


def up(migrator, db):
    for name in REDUNDANT:
        db.execute_sql(f'DROP INDEX IF EXISTS "{name}"')
