"""Version 5: a person's SearchToken rows hold its own name words only.

Up to version 4 a person's rows also repeated every word of its company's name (≈ 300k of the
≈ 700k rows of a 200k-person base, and as many inserts per import). Search now reaches a person
through its company's own 'c' rows and ``person.company_id`` (services/search.py).

The step: one DELETE of the person rows that equal a word of the person's company, then the
persons' rows are compared with ``tokens(full_name)`` in Python (batches of persons by id) and put
right: own words that the DELETE took because the company shares them come back, and rows that
are no word of the name (left over from an earlier company) go. The ``(kind, ref_id)`` index
becomes ``(kind, ref_id, token)``: search's per-card probes (a person's own words, then its
company's) are answered from the index alone. It is dropped before the big DELETE and built after it.
"""

BATCH = 20_000


def up(migrator, db):
    from tuicrm.services.base import tokens

    p = db.param
    db.execute_sql('DROP INDEX IF EXISTS "search_token_kind_ref_id"')
    db.execute_sql(
        "DELETE FROM search_token WHERE kind = 'p' AND EXISTS (SELECT 1 FROM person pe JOIN search_token c "
        "ON c.kind = 'c' AND c.ref_id = pe.company_id AND c.token = search_token.token WHERE pe.id = search_token.ref_id)"
    )
    db.execute_sql('CREATE INDEX IF NOT EXISTS "search_token_kind_ref_id_token" ON "search_token" ("kind", "ref_id", "token")')
    last = 0
    while True:
        names = db.execute_sql(
            f"SELECT id, full_name FROM person WHERE id > {p} ORDER BY id LIMIT {BATCH}", [last]
        ).fetchall()
        if not names:
            break
        low, last = names[0][0], names[-1][0]
        have: dict[int, set[str]] = {}
        for token, ref in db.execute_sql(
            f"SELECT token, ref_id FROM search_token WHERE kind = 'p' AND ref_id >= {p} AND ref_id <= {p}", [low, last]
        ):
            have.setdefault(ref, set()).add(token)
        add, drop = [], []
        for pid, full_name in names:
            want = tokens(full_name)
            got = have.pop(pid, set())
            add += [(w, "p", pid) for w in want if w not in got]
            drop += [(w, pid) for w in got.difference(want)]
        for chunk in range(0, len(add), 500):
            rows = add[chunk: chunk + 500]
            db.execute_sql(
                "INSERT INTO search_token (token, kind, ref_id) VALUES " + ", ".join([f"({p}, {p}, {p})"] * len(rows)),
                [v for row in rows for v in row],
            )
        for token, pid in drop:
            db.execute_sql(f"DELETE FROM search_token WHERE token = {p} AND kind = 'p' AND ref_id = {p}", [token, pid])
    # rows of persons that no longer exist (ids between the batches' persons are covered above)
    db.execute_sql("DELETE FROM search_token WHERE kind = 'p' AND NOT EXISTS (SELECT 1 FROM person pe WHERE pe.id = search_token.ref_id)")
