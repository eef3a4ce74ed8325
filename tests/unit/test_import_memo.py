"""The chunk lookups answered from memory (importer.MEMO_NOTE) give the same base and the same
reports as the lookups by query: the same imports run three ways into fresh SQLite bases — with the
queries, from memory, and from memory switching to the queries midway (the memory bound) — and every
table, every report and the indexes at the end are compared."""

from __future__ import annotations

import pytest

from tests.fixtures.import_files import write_csv, write_xlsx
from tuicrm.transfer import importer

CHUNK = 7
HEAD = ["ФИО", "Компания", "ИНН", "Телефон", "Мобильный телефон", "E-mail", "Теги", "Комментарий"]


def _rows_a() -> list[list]:
    rows = [
        ["Кто-то Двойной", None, None, "8 916 555-00-01", None, "second@x.ru", None, None],  # two base cards: ambiguous
        ["Старый Человек", "ООО Старая", "7707083893", "8 916 555-00-01", None, None, "новый", None],  # links a base person, fills the tax id
    ]
    for i in range(60):
        company = [f"ООО Фирма {i % 7}", "ООО Старая", "ИП Без ИНН", None][i % 4]
        inn = {0: "7701234567", 2: None}.get(i % 4) if i % 3 else None
        rows.append([f"Человек {i % 45} Тестов", company, inn, f"8 916 000-{i % 50:02d}-{i % 7:02d}",
                     f"+7 903 111 {i % 30:02d} {i % 9:02d}" if i % 2 else None, f"u{i % 40}@x.ru" if i % 5 else None,
                     ["опт", "vip, опт", None][i % 3], f"заметка {i % 4}" if i % 6 == 0 else None])
    while len(rows) % CHUNK:  # the rows below start a chunk: nothing before them in it finds their cards
        rows.append([f"Заполнитель {len(rows)}", None, None, None, None, None, None, None])
    rows += [  # each found, chunks later, only through what an earlier chunk wrote
        ["Новый Сотрудник", "Старая (переименована)", "7707083893", None, None, None, None, None],  # the tax id filled above
        ["Совсем Другое Имя", None, None, "8 916 000-01-01", None, None, None, None],  # a phone of row 1
        ["Иное Имя", None, None, None, None, "u2@x.ru", None, None],  # an e-mail of row 2
        ["Человек 5 Тестов", "ООО Старая", None, None, None, None, "поздний", None],  # name + company of row 5
        ["Человек 3 Тестов", None, None, None, None, None, None, "без фирмы"],  # name, no company, of row 3
        ["Старый Человек", "ООО Старая", None, None, None, None, None, None],  # the base person linked above
        ["Без Фирмы", "ИП Без ИНН", None, "123", None, "bad-email", None, None],  # invalid phone, email
        [None, "ООО Фирма 3", None, "8 495 123-45-67", None, "office@firma3.ru", "vip", "компания"],  # a company row
    ]
    return rows


def _base(actor) -> None:
    from tuicrm.services import contacts

    old = contacts.create_company(actor, "ООО Старая")  # no tax id yet: the file fills it
    contacts.create_person(actor, full_name="Старый Человек", phones=["+7 916 555-00-01"])  # no company: the file links it
    contacts.create_person(actor, full_name="Другой Старый", emails=["second@x.ru"], company_id=old)
    contacts.create_person(actor, full_name="Человек 7 Тестов", phones=["8 916 000-07-00"])
    gone = contacts.create_person(actor, full_name="Человек 8 Тестов", phones=["8 916 000-08-01"])
    contacts.archive(actor, "person", gone)  # archived cards are never matched


def _scenario(actor, tmp_path) -> list:
    _base(actor)
    a = write_xlsx(tmp_path / "a.xlsx", HEAD, _rows_a())
    b = write_csv(tmp_path / "b.csv", HEAD, [r[:3] + [r[3], None, r[5], "b-тег", None] for r in _rows_a()[::3]])
    reports = []
    for path, policy in ((a, "merge"), (a, "merge"), (b, "skip"), (b, "create"), (a, "merge")):
        rep = importer.run_import(actor, path, policy=policy, chunk_size=CHUNK, workers=0)
        reports.append((rep.rows_total, rep.created, rep.merged, rep.unchanged, rep.skipped, rep.rejected,
                        rep.persons_created, rep.persons_merged, rep.companies_created, rep.companies_merged,
                        rep.phones_flagged, [(p.row, p.kind, p.message) for p in rep.problems]))
    return reports


def _dump(db) -> dict:
    out = {}
    tables = ["person", "company", "phone", "email", "person_tag", "company_tag", "tag", "search_token", "note",
              "import_item", "import_batch", "audit_log"]
    for t in tables:
        cur = db.execute_sql(f'SELECT * FROM "{t}"')
        cols = [d[0] for d in cur.description]
        keep = [i for i, c in enumerate(cols) if not (c.endswith("_at") or c in ("at", "report"))]
        out[t] = sorted((tuple(row[i] for i in keep) for row in cur.fetchall()), key=repr)
    out["indexes"] = sorted(db.execute_sql("SELECT name, sql FROM sqlite_master WHERE type = 'index'").fetchall(), key=repr)
    return out


def _run(mode: str, tmp_path, monkeypatch) -> tuple[list, dict, list]:
    from tuicrm.config import Settings
    from tuicrm.db.connection import close_database
    from tuicrm.model import database
    from tuicrm.session import open_session

    if mode == "queries":
        monkeypatch.setattr(importer, "DEFER_INDEX_MIN_ROWS", 10**9)
    else:  # every import defers its indexes and looks up from memory (the base is never too big here)
        monkeypatch.setattr(importer, "DEFER_INDEX_MIN_ROWS", 0)
        monkeypatch.setattr(importer, "DEFER_INDEX_RATIO", 0.0)
        monkeypatch.setattr(importer, "MEMO_MAX_KEYS", 10**9 if mode == "memory" else 40)
    queries = []
    real = importer._select_in
    monkeypatch.setattr(importer, "_select_in", lambda sql, values: queries.append(sql) or real(sql, values))
    folder = tmp_path / mode
    folder.mkdir()
    session = open_session(f"sqlite:///{folder / 'crm.db'}", Settings(language="en"), user="tester")
    try:
        reports = _scenario(session.actor, folder)
        return reports, _dump(database.obj), queries
    finally:
        close_database()


@pytest.fixture
def runs(tmp_path, monkeypatch):
    from tuicrm import i18n

    i18n.set_language("en")
    out = {}
    for mode in ("queries", "memory", "switch"):
        with monkeypatch.context() as m:
            out[mode] = _run(mode, tmp_path, m)
    return out


def test_lookups_from_memory_give_the_same_base_and_reports(runs):
    reports, dump, queries = runs["queries"]
    assert queries  # the queries ran
    # the scenario does what it is for: merges, links, an ambiguous row, in-file duplicates, skip/create
    assert reports[0][1] > 0 and reports[0][2] > 0 and reports[0][5] >= 1
    assert any(kind == "ambiguous" for _r, kind, _m in reports[0][-1])
    assert reports[1][1] == 0 and reports[4][1] == 0  # re-importing creates nothing
    for mode in ("memory", "switch"):
        r, d, _q = runs[mode]
        assert r == reports, mode
        for table in dump:
            assert d[table] == dump[table], (mode, table)


def test_memory_mode_reads_no_lookup_query_and_the_switch_does(runs):
    assert runs["memory"][2] == []
    assert runs["switch"][2]  # past the bound, the queries answer (with the indexes built there and then)


def test_the_file_fills_and_links_base_cards_in_every_mode(runs):
    for mode, (_reports, dump, _q) in runs.items():
        old = [row for row in dump["company"] if row[0] == 1]  # the base's "ООО Старая"
        assert "ООО Старая" in old[0] and "7707083893" in old[0], mode
