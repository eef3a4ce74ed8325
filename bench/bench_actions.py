#!/usr/bin/env python
"""Card actions on the large base: what a save/merge/hand-over costs when the base is big.

    python bench/bench_actions.py                  # on a private copy of bench/data/large.db
    python bench/bench_actions.py --copy /tmp/x.db # where to put the copy (default: bench/data/actions.db)

Works on a consistent copy (sqlite backup API) so other benchmarks' base is never written.
Each write runs inside a transaction that is rolled back, so every repetition starts from the
same data. Baseline (same run): one optimistic-locked single-field update of a person
(``update_person``) — the smallest write a form makes. Reported: median ms and ratio.

- form save: ``find_duplicates`` (2 phones, 1 email) + ``save_person`` (new, 2 phones, company typed)
- edit: ``save_person`` of an existing person (phones synced)
- hand over one company with its people (open activities and deals move)
- merge the two companies with the most activities (everything moves, counted)
- hand over ALL clients of the busiest manager (bulk UPDATEs)
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.common import DATA_DIR, LARGE_DB, machine, md_table, median_ms, ratio  # noqa: E402


class Rollback(Exception):
    pass


def in_rollback(fn):
    """Run fn inside a transaction and undo it."""
    from tuicrm.model import database

    def run():
        try:
            with database.atomic():
                fn()
                raise Rollback
        except Rollback:
            pass

    return run


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--copy", default=str(DATA_DIR / "actions.db"))
    ap.add_argument("-n", type=int, default=5)
    args = ap.parse_args()
    if not LARGE_DB.exists():
        print("build the large base first: python bench/generate.py --db sqlite:///bench/data/large.db", file=sys.stderr)
        return 2
    copy = Path(args.copy)
    t = time.perf_counter()
    src = sqlite3.connect(f"file:{LARGE_DB}?mode=ro", uri=True)
    dst = sqlite3.connect(copy)
    src.backup(dst)
    src.close()
    dst.close()
    print(f"copied the large base in {time.perf_counter() - t:.1f} s → {copy}")

    import peewee

    from bench.common import open_large
    from tuicrm.model import Activity, Company, Deal, Person, User
    from tuicrm.services import contacts, users
    from tuicrm.services.contacts import PersonData, PhoneIn

    _db, actor = open_large(f"sqlite:///{copy}")
    counts = {m.__name__: m.select().count() for m in (Person, Company, Activity, Deal)}
    person = Person.select().where(Person.archived_at.is_null()).order_by(Person.id).first()
    version = person.row_version
    busiest = (Activity.select(Activity.company, peewee.fn.COUNT(Activity.id).alias("n"))
               .where(Activity.company.is_null(False)).group_by(Activity.company)
               .order_by(peewee.fn.COUNT(Activity.id).desc()).limit(2).tuples())
    (c1, n1), (c2, n2) = list(busiest)
    manager, owned = (Person.select(Person.owner, peewee.fn.COUNT(Person.id)).where(Person.owner.is_null(False))
                      .group_by(Person.owner).order_by(peewee.fn.COUNT(Person.id).desc()).limit(1).tuples()).first()
    other = User.select(User.id).where((User.id != manager) & (User.is_active == True)).order_by(User.id).scalar()  # noqa: E712

    baseline = median_ms(in_rollback(lambda: contacts.update_person(actor, person.id, version, position="Бухгалтер")), args.n)

    def form_save():
        contacts.find_duplicates(actor, phones=["8 916 000-12-34", "+7 495 000-12-34"], emails=["new@example.ru"])
        contacts.save_person(actor, PersonData(full_name="Новиков Новик", company_name="ООО Новая",
                                               phones=[PhoneIn("8 916 000-12-34"), PhoneIn("+7 495 000-12-34")],
                                               emails=["new@example.ru"]))

    def edit():
        data = contacts.person_form_data(actor, person.id)
        data.position = "Главбух"
        data.phones = data.phones + [PhoneIn("8 916 000-12-35")]
        contacts.save_person(actor, data, person.id)

    merged = {}

    def merge():
        merged["r"] = contacts.merge(actor, "company", c1, c2)

    def hand_company():
        contacts.handover(actor, "company", c1, other, include_company_people=True)

    moved = {}

    def hand_all():
        moved["r"] = users.handover_all(actor, manager, other)

    rows = []
    for name, fn in (("form save: duplicates + new person", form_save), ("edit person (phones synced)", edit),
                     ("hand over a company with its people", hand_company),
                     (f"merge two companies ({n1} + {n2} activities)", merge),
                     (f"hand over all clients of a manager ({owned} persons)", hand_all)):
        ms = median_ms(in_rollback(fn), args.n)
        rows.append((name, f"{ms:.1f}", ratio(ms, baseline)))
    print(f"\n{machine()}; base: " + ", ".join(f"{k} {v:,}" for k, v in counts.items()))
    print(f"baseline: update_person (one field, row_version) = {baseline:.2f} ms (median of {args.n})\n")
    print(md_table(["action", "median ms", "vs baseline"], rows))
    r = merged["r"]
    print(f"\nmerge moved: {r.moved}; duplicates dropped: {r.duplicates}")
    print(f"hand over all moved: {moved['r']}")
    copy.unlink(missing_ok=True)
    for suffix in ("-wal", "-shm"):
        Path(str(copy) + suffix).unlink(missing_ok=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
