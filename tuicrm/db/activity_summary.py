"""``activity_day``: per UTC day, manager and kind, the counters the activity report reads.

One row per (UTC day, assignee, kind) — assignee 0 stands for "nobody" (a key column cannot be
NULL on both engines) — with:

- ``done``: activities done that day (``done_at`` on it), not archived;
- ``reached``: of those, the ones with a reached outcome (reached, refused, call back);
- ``planned``: activities due that day (``due_at`` on it), not archived;
- ``planned_done``: of those, the ones done (``done_at`` set, whenever).

Database triggers on ``activity`` keep it (insert; update of done_at, due_at, assignee_id, kind,
outcome or archived_at; delete; on PostgreSQL also TRUNCATE), so every writer is covered: the
services, merges and hand-overs, foreign-key actions, raw SQL. A row whose counters all fall to
zero is deleted, so the table always equals ``fresh_rows()``, one GROUP BY over ``activity``.

The day is the stored value's own date (SQLite: the first ten characters of the text, which is
exactly what the report's string comparisons on ``done_at`` see; PostgreSQL: ``CAST(… AS DATE)``
of the timestamp). A report bucket [a, b) in UTC reads the whole UTC days inside it from here and
only its partial first/last day from ``activity`` (services/reports.py), so it is exact in any zone.

Bulk loaders that bypass triggers (PostgreSQL ``session_replication_role = replica``) or drop
them for speed (``drop_triggers``) call ``rebuild()`` afterwards.
"""

from __future__ import annotations

import peewee

from tuicrm.model.enums import Outcome

TABLE = "activity_day"
TRIGGERS = ("activity_day_insert", "activity_day_update", "activity_day_delete", "activity_day_truncate")
PG_FUNCTION = "activity_day_sync"
PG_TRUNCATE_FUNCTION = "activity_day_clear"
# the columns that move an activity between rows of the summary
WATCHED = ("done_at", "due_at", "assignee_id", "kind", "outcome", "archived_at")
REACHED = tuple(o.value for o in Outcome if o.reached)
_REACHED_SQL = "(" + ", ".join(f"'{v}'" for v in REACHED) + ")"
COLUMNS = '"day", "assignee_id", "kind", "done", "reached", "planned", "planned_done"'


def _is_pg(db) -> bool:
    return isinstance(db, peewee.PostgresqlDatabase)


def _day(expr: str, pg: bool) -> str:
    return f"CAST({expr} AS DATE)" if pg else f"substr({expr}, 1, 10)"


def _reached(row: str) -> str:
    return f"CASE WHEN {row}.outcome IN {_REACHED_SQL} THEN 1 ELSE 0 END"


def fresh_select(pg: bool) -> str:
    """The summary computed from ``activity`` in one GROUP BY (what the triggers keep equal)."""
    return (
        f"SELECT day, assignee_id, kind, SUM(done), SUM(reached), SUM(planned), SUM(planned_done) FROM ("
        f"{_contributions('activity', 1, pg)}) AS t GROUP BY day, assignee_id, kind"
    )


def fresh_rows(db) -> set[tuple]:
    """The summary's rows as a fresh GROUP BY gives them (tests compare this with ``stored_rows``)."""
    return {_norm(r) for r in db.execute_sql(fresh_select(_is_pg(db))).fetchall()}


def stored_rows(db) -> set[tuple]:
    return {_norm(r) for r in db.execute_sql(f'SELECT {COLUMNS} FROM "{TABLE}"').fetchall()}


def _norm(row) -> tuple:
    day, assignee, kind, *counts = row
    return (str(day)[:10], int(assignee), kind, *(int(c) for c in counts))


def rebuild(db) -> None:
    """Recompute the whole table from ``activity`` (one GROUP BY)."""
    db.execute_sql(f'DELETE FROM "{TABLE}"')
    db.execute_sql(f'INSERT INTO "{TABLE}" ({COLUMNS}) {fresh_select(_is_pg(db))}')


# --- triggers ---------------------------------------------------------------------------------


def _sqlite_plus(r: str) -> str:
    return f"""
  INSERT INTO "{TABLE}" ({COLUMNS})
    SELECT substr({r}.done_at, 1, 10), COALESCE({r}.assignee_id, 0), {r}.kind, 1, {_reached(r)}, 0, 0
    WHERE {r}.done_at IS NOT NULL AND {r}.archived_at IS NULL
    ON CONFLICT ("assignee_id", "kind", "day") DO UPDATE SET "done" = "done" + 1, "reached" = "reached" + excluded."reached";
  INSERT INTO "{TABLE}" ({COLUMNS})
    SELECT substr({r}.due_at, 1, 10), COALESCE({r}.assignee_id, 0), {r}.kind, 0, 0, 1,
           CASE WHEN {r}.done_at IS NULL THEN 0 ELSE 1 END
    WHERE {r}.due_at IS NOT NULL AND {r}.archived_at IS NULL
    ON CONFLICT ("assignee_id", "kind", "day") DO UPDATE SET "planned" = "planned" + 1,
      "planned_done" = "planned_done" + excluded."planned_done";"""


def _sqlite_minus(r: str) -> str:
    return f"""
  UPDATE "{TABLE}" SET "done" = "done" - 1, "reached" = "reached" - {_reached(r)}
    WHERE {r}.done_at IS NOT NULL AND {r}.archived_at IS NULL
      AND "day" = substr({r}.done_at, 1, 10) AND "assignee_id" = COALESCE({r}.assignee_id, 0) AND "kind" = {r}.kind;
  UPDATE "{TABLE}" SET "planned" = "planned" - 1,
      "planned_done" = "planned_done" - CASE WHEN {r}.done_at IS NULL THEN 0 ELSE 1 END
    WHERE {r}.due_at IS NOT NULL AND {r}.archived_at IS NULL
      AND "day" = substr({r}.due_at, 1, 10) AND "assignee_id" = COALESCE({r}.assignee_id, 0) AND "kind" = {r}.kind;"""


def _sqlite_cleanup(r: str) -> str:
    return f"""
  DELETE FROM "{TABLE}"
    WHERE {r}.archived_at IS NULL AND "assignee_id" = COALESCE({r}.assignee_id, 0) AND "kind" = {r}.kind
      AND "day" IN (substr({r}.done_at, 1, 10), substr({r}.due_at, 1, 10)) AND "done" = 0 AND "planned" = 0;"""


def _changed(pg: bool) -> str:
    ne = "IS DISTINCT FROM" if pg else "IS NOT"
    parts = [f"OLD.{c} {ne} NEW.{c}" for c in WATCHED if c != "archived_at"]
    parts.append("(OLD.archived_at IS NULL) <> (NEW.archived_at IS NULL)")
    return " OR ".join(parts)


def sqlite_trigger_sql() -> list[str]:
    cols = ", ".join(WATCHED)
    return [
        f'CREATE TRIGGER "activity_day_insert" AFTER INSERT ON "activity" WHEN NEW.archived_at IS NULL '
        f'BEGIN{_sqlite_plus("NEW")}\nEND',
        f'CREATE TRIGGER "activity_day_update" AFTER UPDATE OF {cols} ON "activity" WHEN {_changed(False)} '
        f'BEGIN{_sqlite_minus("OLD")}{_sqlite_plus("NEW")}{_sqlite_cleanup("OLD")}\nEND',
        f'CREATE TRIGGER "activity_day_delete" AFTER DELETE ON "activity" WHEN OLD.archived_at IS NULL '
        f'BEGIN{_sqlite_minus("OLD")}{_sqlite_cleanup("OLD")}\nEND',
    ]


def _contributions(rows: str, sign: int, pg: bool = True) -> str:
    """What the rows of ``rows`` add to the summary (``sign`` -1: take away), one row per counter
    key and activity."""
    return (
        f"SELECT {_day('done_at', pg)} AS day, COALESCE(assignee_id, 0) AS assignee_id, kind, {sign} AS done, "
        f"{sign} * {_reached(rows)} AS reached, 0 AS planned, 0 AS planned_done "
        f"FROM {rows} WHERE done_at IS NOT NULL AND archived_at IS NULL "
        f"UNION ALL "
        f"SELECT {_day('due_at', pg)}, COALESCE(assignee_id, 0), kind, 0, 0, {sign}, "
        f"{sign} * CASE WHEN done_at IS NULL THEN 0 ELSE 1 END "
        f"FROM {rows} WHERE due_at IS NOT NULL AND archived_at IS NULL"
    )


def pg_trigger_sql() -> list[str]:
    """PostgreSQL: statement-level triggers with transition tables — one grouped upsert per
    statement, however many rows it wrote (a bulk insert, hand-over or import costs one GROUP BY
    of its rows, not a function call per row)."""
    t = f'"{TABLE}"'
    apply_delta = f"""
    INSERT INTO {t} ({COLUMNS})
      SELECT day, assignee_id, kind, SUM(done), SUM(reached), SUM(planned), SUM(planned_done) FROM (%s) AS c
      GROUP BY day, assignee_id, kind
      HAVING (SUM(done) <> 0 OR SUM(reached) <> 0 OR SUM(planned) <> 0 OR SUM(planned_done) <> 0)
        -- what takes away only from rows that exist (as the SQLite triggers' UPDATEs)
        AND (SUM(done) > 0 OR SUM(planned) > 0 OR EXISTS (SELECT 1 FROM {t} AS e
             WHERE e."assignee_id" = c.assignee_id AND e."kind" = c.kind AND e."day" = c.day))
      ON CONFLICT ("assignee_id", "kind", "day") DO UPDATE SET
        "done" = {t}."done" + EXCLUDED."done", "reached" = {t}."reached" + EXCLUDED."reached",
        "planned" = {t}."planned" + EXCLUDED."planned", "planned_done" = {t}."planned_done" + EXCLUDED."planned_done";"""
    cleanup = f"""
    DELETE FROM {t} AS s USING (
        SELECT CAST(done_at AS DATE) AS day, COALESCE(assignee_id, 0) AS assignee_id, kind FROM old_rows
        WHERE done_at IS NOT NULL AND archived_at IS NULL
        UNION SELECT CAST(due_at AS DATE), COALESCE(assignee_id, 0), kind FROM old_rows
        WHERE due_at IS NOT NULL AND archived_at IS NULL) AS k
      WHERE s."assignee_id" = k.assignee_id AND s."kind" = k.kind AND s."day" = k.day
        AND s."done" = 0 AND s."planned" = 0;"""
    function = f"""
CREATE OR REPLACE FUNCTION {PG_FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $body$
BEGIN
  IF TG_OP = 'INSERT' THEN{apply_delta % _contributions("new_rows", 1)}
  ELSIF TG_OP = 'UPDATE' THEN{apply_delta % (_contributions("new_rows", 1) + " UNION ALL " + _contributions("old_rows", -1))}{cleanup}
  ELSE{apply_delta % _contributions("old_rows", -1)}{cleanup}
  END IF;
  RETURN NULL;
END
$body$"""
    clear = f"""
CREATE OR REPLACE FUNCTION {PG_TRUNCATE_FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $body$
BEGIN
  DELETE FROM {t};
  RETURN NULL;
END
$body$"""
    run = f"FOR EACH STATEMENT EXECUTE PROCEDURE {PG_FUNCTION}()"
    return [
        function,
        clear,
        f'CREATE TRIGGER "activity_day_insert" AFTER INSERT ON "activity" REFERENCING NEW TABLE AS new_rows {run}',
        # transition tables rule out a column list: every UPDATE statement runs it, and a change
        # of other columns nets to nothing (HAVING … <> 0)
        f'CREATE TRIGGER "activity_day_update" AFTER UPDATE ON "activity" '
        f'REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows {run}',
        f'CREATE TRIGGER "activity_day_delete" AFTER DELETE ON "activity" REFERENCING OLD TABLE AS old_rows {run}',
        f'CREATE TRIGGER "activity_day_truncate" AFTER TRUNCATE ON "activity" FOR EACH STATEMENT '
        f'EXECUTE PROCEDURE {PG_TRUNCATE_FUNCTION}()',
    ]


def drop_triggers(db) -> None:
    for name in TRIGGERS:
        if _is_pg(db):
            db.execute_sql(f'DROP TRIGGER IF EXISTS "{name}" ON "activity"')
        else:
            db.execute_sql(f'DROP TRIGGER IF EXISTS "{name}"')


def install_triggers(db) -> None:
    """(Re)create the triggers (idempotent)."""
    drop_triggers(db)
    for sql in pg_trigger_sql() if _is_pg(db) else sqlite_trigger_sql():
        db.execute_sql(sql)


def triggers_installed(db) -> bool:
    names = ", ".join(f"'{n}'" for n in TRIGGERS)
    if _is_pg(db):
        sql = f"SELECT COUNT(*) FROM pg_trigger WHERE tgrelid = 'activity'::regclass AND tgname IN ({names})"
        return int(db.execute_sql(sql).fetchone()[0]) == len(TRIGGERS)
    sql = f"SELECT COUNT(*) FROM sqlite_master WHERE type = 'trigger' AND name IN ({names})"
    return int(db.execute_sql(sql).fetchone()[0]) == len(TRIGGERS) - 1  # no TRUNCATE on SQLite


def install(db) -> None:
    """Table (if missing), triggers, contents: what schema version 4 adds to a base."""
    from tuicrm.model import ActivityDay

    ActivityDay.create_table(safe=True)
    install_triggers(db)
    rebuild(db)
