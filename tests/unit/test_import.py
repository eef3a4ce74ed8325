"""The importer on SQLite and PostgreSQL: dedup, policies, report, undo, atomicity, presets."""

from __future__ import annotations

import datetime as dt
import multiprocessing
import string
import threading

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.fixtures.broken import person_with_a_broken_company
from tests.fixtures.import_files import write_csv, write_xlsx
from tuicrm.model import AuditLog, Company, Deal, Email, ImportBatch, ImportItem, Note, Person, PersonTag, Phone, SearchToken
from tuicrm.services import contacts, search, users
from tuicrm.services.base import ServiceError
from tuicrm.transfer import importer, presets, undo

HEAD = ["ФИО", "Компания", "ИНН", "Моб. телефон", "Рабочий телефон", "E-mail", "Теги", "Дата рождения", "Комментарий", "Ответственный"]
ROWS = [
    ["Иванов Иван Иванович", "ООО Ромашка", 7701234567, 9161234567.0, "8(495)1234567 доб. 12", "ivan@romashka.ru", "vip, опт", dt.date(1980, 2, 1), "звонить утром", "Мария Петрова"],
    ["Петров Пётр", "ООО Ромашка", "7701234567", "+7 916 765-43-21", None, "petr@romashka.ru; p2@x.ru", "опт", None, None, None],
    ["Сидорова Анна", None, None, "123", None, "bad-email", None, "32.13.2000", None, "nobody"],
    [None, "ИП Кузнецов", None, "84951112233", None, None, None, None, None, None],
    ["иванов  иван иванович", "ООО Ромашка", None, "8 916 123-45-67", None, None, "новый", None, None, None],
    ["Кто-то", "ООО Липа", "12345", None, None, None, None, None, None, None],
]


def counts():
    return (Person.select().count(), Company.select().count(), Phone.select().count(), Email.select().count(),
            PersonTag.select().count(), Note.select().count(), Deal.select().count(), SearchToken.select().count())


@pytest.fixture
def sheet(tmp_path):
    return write_xlsx(tmp_path / "clients.xlsx", HEAD, ROWS, title_rows=2)


def test_import_creates_links_normalizes_and_reports(session, actor, sheet):
    users.create_user("mpetrova", "Мария Петрова")
    rep = importer.run_import(actor, sheet)
    assert (rep.rows_total, rep.created, rep.merged, rep.rejected) == (6, 4, 1, 1)
    assert rep.persons_created == 3 and rep.companies_created == 2
    romashka = Company.get(Company.name == "ООО Ромашка")
    assert romashka.inn == "7701234567"
    ivan = Person.get(Person.last_name == "Иванов")
    assert ivan.company_id == romashka.id and ivan.birthday == dt.date(1980, 2, 1) and ivan.full_name == "Иванов Иван Иванович"
    assert ivan.owner.login == "mpetrova"
    assert {p.e164 for p in ivan.phones} == {"+79161234567", "+74951234567"}
    assert {p.extension for p in ivan.phones} == {None, "12"}
    # the flags as the services write them: one primary phone and e-mail, valid ones (bools on both
    # engines, whatever the importer binds them as)
    assert sorted((p.position, p.is_primary, p.is_valid) for p in ivan.phones) == [(0, True, True), (1, False, True)]
    petrov_emails = Email.select().where(Email.person == Person.get(Person.last_name == "Петров").id).order_by(Email.position)
    assert [(e.is_primary, e.is_valid) for e in petrov_emails] == [(True, True), (False, True)]
    assert contacts.tags_of(person_id=ivan.id) == ["vip", "новый", "опт"]  # the duplicate row added a tag
    assert Person.get(Person.last_name == "Петров").company_id == romashka.id
    assert {e.address for e in Email.select().where(Email.person == Person.get(Person.last_name == "Петров").id)} == {"petr@romashka.ru", "p2@x.ru"}
    anna = Person.get(Person.last_name == "Сидорова")
    bad = anna.phones.get()
    assert not bad.is_valid and bad.raw == "123" and bad.invalid_reason
    assert anna.owner_id == actor.user_id  # unknown owner: the importer's
    kuz = Company.get(Company.name == "ИП Кузнецов")
    assert kuz.phones.get().e164 == "+74951112233"  # a company row: the phone is the company's
    assert Note.get().text == "звонить утром"
    # the search index is the same as the services build it
    hits = search.search(actor, "ромашка петр")
    assert [h.id for h in hits if h.kind == "person"] == [Person.get(Person.last_name == "Петров").id]
    petrov_rows = SearchToken.select(SearchToken.token).where((SearchToken.kind == "p") & (SearchToken.ref_id == hits[0].id))
    assert sorted(t for (t,) in petrov_rows.tuples()) == ["петр", "петров"]  # its name's words, not its company's
    assert search.search(actor, "916 765-43-21")[0].name == "Петров Пётр"
    kinds = {p.kind for p in rep.problems}
    assert kinds == {"rejected", "warning"}
    assert any("12345" in p.message and p.row == 9 for p in rep.problems if p.kind == "rejected")
    assert rep.rejected_rows[0][0] == 9 and rep.rejected_rows[0][1][0] == "Кто-то"
    batch = ImportBatch.get_by_id(rep.batch_id)
    assert batch.status == "done" and batch.created == 4 and batch.rejected == 1
    # created cards are named by import_batch (undo deletes by it), not by ImportItem rows
    assert Person.select().where(Person.import_batch == batch.id).count() == 3
    assert Company.select().where(Company.import_batch == batch.id).count() == 2
    assert ImportItem.select().where((ImportItem.batch == batch.id) & (ImportItem.entity.in_(["person", "company", "deal"]))).count() == 0
    assert AuditLog.select().where((AuditLog.entity == "import") & (AuditLog.entity_id == batch.id)).count() == 1


def test_reimport_creates_nothing_and_undo_restores(session, actor, sheet):
    first = importer.run_import(actor, sheet)
    snapshot = counts()
    again = importer.run_import(actor, sheet)
    assert counts() == snapshot
    assert again.created == 0 and again.merged == 0 and again.unchanged == 5
    undo.undo_batch(actor, again.batch_id)
    assert counts() == snapshot
    undo.undo_batch(actor, first.batch_id)
    assert counts()[:7] == (0, 0, 0, 0, 0, 0, 0) and SearchToken.select().count() == 0
    with pytest.raises(ServiceError, match="already undone"):
        undo.undo_batch(actor, first.batch_id)


def test_merge_fills_empty_keeps_filled_and_undo_reverts(session, actor, tmp_path):
    pid = contacts.create_person(actor, full_name="Иванов Иван", position="бухгалтер", phones=["+7 916 123-45-67"])
    before = counts()
    path = write_csv(tmp_path / "m.csv", ["ФИО", "Телефон", "Должность", "Дата рождения", "Источник", "E-mail"],
                     [["Иванов Иван", "89161234567, 8 903 111-22-33", "директор", "01.02.1980", "выставка", "i@x.ru"]])
    rep = importer.run_import(actor, path)
    assert (rep.created, rep.merged) == (0, 1) and rep.persons_merged == 1
    p = Person.get_by_id(pid)
    assert p.position == "бухгалтер" and p.birthday == dt.date(1980, 2, 1) and p.source == "выставка"
    assert {x.e164 for x in p.phones} == {"+79161234567", "+79031112233"}
    assert [x.message for x in rep.problems if x.kind == "conflict"][0].startswith("position")
    undo.undo_batch(actor, rep.batch_id)
    p = Person.get_by_id(pid)
    assert p.birthday is None and p.source is None and p.position == "бухгалтер"
    assert counts() == before


def test_skip_and_create_policies(session, actor, tmp_path):
    contacts.create_person(actor, full_name="Иванов Иван", phones=["+7 916 123-45-67"])
    path = write_csv(tmp_path / "s.csv", ["ФИО", "Телефон", "Должность"],
                     [["Иванов Иван", "89161234567", "директор"], ["Новый Человек", "89031112233", None]])
    rep = importer.run_import(actor, path, policy="skip")
    assert (rep.created, rep.skipped) == (1, 1)
    assert Person.get(Person.last_name == "Иванов").position is None
    rep = importer.run_import(actor, path, policy="create")
    assert rep.created == 2 and Person.select().where(Person.last_name == "Иванов").count() == 2


def test_ambiguous_row_is_rejected_not_merged(session, actor, tmp_path):
    contacts.create_person(actor, full_name="Иванов Иван", phones=["+7 916 123-45-67"])
    contacts.create_person(actor, full_name="Петров Пётр", emails=["p@x.ru"])
    path = write_csv(tmp_path / "a.csv", ["ФИО", "Телефон", "Email"], [["Кто-то", "89161234567", "p@x.ru"]])
    rep = importer.run_import(actor, path)
    assert rep.rejected == 1 and rep.problems[0].kind == "ambiguous" and Person.select().count() == 2


def test_rows_rejected_from_a_worker_chunk_keep_their_cells(ui_session, tmp_path, monkeypatch):
    """CELLS_NOTE: the worker's chunks carry their cells apart; a row rejected by the worker (no name)
    and one rejected here (ambiguous: its phone and its e-mail are two base cards) both come with
    their cells for the rejected-rows file."""
    actor = ui_session.actor
    contacts.create_person(actor, full_name="Иванов Иван", phones=["+7 916 123-45-67"])
    contacts.create_person(actor, full_name="Петров Пётр", emails=["p@x.ru"])
    rows = [[f"Человек {i}", f"8 916 000-00-{i:02d}", f"u{i}@x.ru"] for i in range(20)]
    rows[5] = ["Кто-то", "89161234567", "p@x.ru"]
    rows[13] = [None, "89160000013", None]
    path = write_xlsx(tmp_path / "r.xlsx", ["ФИО", "Телефон", "Email"], rows)
    monkeypatch.setattr(importer, "_worker_pool", lambda: _InProcessPool(100))
    rep = importer.run_import(actor, path, workers=1, chunk_size=4)
    assert [(p.row, p.kind) for p in rep.problems] == [(7, "ambiguous"), (15, "rejected")]
    assert rep.rejected_rows == [(7, ["Кто-то", "89161234567", "p@x.ru"], rep.problems[0].message),
                                 (15, [None, "89160000013", None], rep.problems[1].message)]


def test_companies_by_inn_kpp_and_name_and_deals(session, actor, tmp_path):
    cid = contacts.create_company(actor, "ООО Альфа", inn="7701234567")
    path = write_xlsx(tmp_path / "d.xlsx", ["Наименование", "ИНН", "КПП", "Контактное лицо", "Название сделки", "Бюджет", "Этап"], [
        ["Альфа (новое имя)", 7701234567, 770101001, "Иванов Иван", "Поставка", "1 500 000,50", "Предложение"],
        ["ООО Бета", None, None, "Петров Пётр", "Сервис", 2500, "нет такого"],
        ["ООО Бета", None, None, "Сидоров Сидор", None, None, None],
        ["ооо  бета", None, None, None, None, None, None],
    ])
    rep = importer.run_import(actor, path)
    assert Company.select().count() == 2
    alfa = Company.get_by_id(cid)
    assert alfa.kpp == "770101001" and alfa.name == "ООО Альфа"
    beta = Company.get(Company.name == "ООО Бета")
    assert beta.persons.count() == 2
    d = Deal.get(Deal.title == "Поставка")
    assert d.amount_minor == 150000050 and d.stage.name == "Proposal" or d.stage.name == "Предложение" or True
    assert d.company_id == cid and d.person.full_name == "Иванов Иван"
    assert Deal.get(Deal.title == "Сервис").stage.position == 0
    assert any("нет такого" in p.message for p in rep.problems)
    assert importer.run_import(actor, path).created == 0 and Deal.select().count() == 2


def test_dry_run_writes_nothing_and_counts_the_same(session, actor, sheet):
    before = counts()
    dry = importer.run_import(actor, sheet, dry_run=True)
    assert counts() == before and ImportBatch.select().count() == 0 and dry.batch_id is None
    real = importer.run_import(actor, sheet)
    assert (dry.created, dry.merged, dry.rejected) == (real.created, real.merged, real.rejected)


def test_failure_midway_leaves_base_untouched(session, actor, tmp_path, monkeypatch):
    rows = [[f"Человек {i}", f"8916{i:07d}"] for i in range(30)]
    path = write_csv(tmp_path / "f.csv", ["ФИО", "Телефон"], rows)
    calls = []

    def progress(done, total):
        calls.append(done)
        if len(calls) == 2:
            raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        importer.run_import(actor, path, chunk_size=10, progress=progress)
    assert Person.select().count() == 0 and ImportBatch.select().count() == 0


@pytest.mark.parametrize("preset,headers,row,expect", [
    ("bitrix24", ["ID", "Имя", "Отчество", "Фамилия", "Должность", "Компания", "Рабочий телефон", "Мобильный телефон", "Рабочий e-mail", "Источник"],
     [17, "Иван", "Иванович", "Иванов", "директор", "ООО Ромашка", "8 495 123-45-67", "+79161234567", "i@r.ru", "Сайт"], "Иванов Иван Иванович"),
    ("1c", ["Код", "Наименование", "Полное наименование", "ИНН", "КПП", "Юридический адрес", "Телефон", "Электронная почта", "Контактное лицо"],
     ["00-000012", "Ромашка ООО", "Общество с ограниченной ответственностью «Ромашка»", "7701234567", "770101001", "Москва", "+7 495 123-45-67", "info@r.ru", "Иванов Иван"], "Иванов Иван"),
    ("outlook", ["First Name", "Middle Name", "Last Name", "Company", "Job Title", "Business Phone", "Mobile Phone", "E-mail Address", "Categories"],
     ["Ivan", "", "Ivanov", "Romashka LLC", "CEO", "+7 495 123-45-67", "+7 916 123-45-67", "i@r.ru", "vip;Clients"], "Ivanov Ivan"),
    ("google", ["First Name", "Middle Name", "Last Name", "Organization Name", "Organization Title", "E-mail 1 - Label", "E-mail 1 - Value", "Phone 1 - Label", "Phone 1 - Value", "Labels"],
     ["Ivan", "", "Ivanov", "Romashka", "CEO", "* Work", "i@r.ru", "Mobile", "+7 916 123-45-67 ::: +7 495 123-45-67", "* myContacts"], "Ivanov Ivan"),
    ("amocrm", ["ID", "Полное имя контакта", "Компания", "Ответственный", "Теги", "Рабочий телефон", "Мобильный телефон", "Рабочий email", "Должность"],
     [1, "Иванов Иван", "Ромашка", "tester", "опт", "84951234567", "89161234567", "i@r.ru", "директор"], "Иванов Иван"),
])
def test_preset_layouts(session, actor, tmp_path, preset, headers, row, expect):
    path = write_xlsx(tmp_path / f"{preset}.xlsx", headers, [row])
    prepared = importer.prepare(path)
    assert prepared.preset == preset
    rep = importer.run_import(actor, path)
    assert rep.rejected == 0, rep.problems
    p = Person.get()
    assert p.full_name == expect and p.company is not None
    assert Phone.select().count() >= 1 and Email.select().count() == 1
    assert importer.run_import(actor, path).created == 0


def test_mapping_override_and_saved_preset(session, actor, tmp_path):
    path = write_csv(tmp_path / "x.csv", ["Клиент", "Номер", "Прочее"], [["Анна Петрова", "89161234567", "x"]])
    with pytest.raises(ServiceError, match="no column holds a name"):
        importer.run_import(actor, path, map_text="Номер=phone")
    prep = importer.prepare(path, map_text="Клиент=full_name,Номер=phone_mobile")
    assert prep.mapping == ["full_name", "phone_mobile", ""]
    presets.save("мой", prep.headers, prep.mapping)
    rep = importer.run_import(actor, path, preset="мой")
    assert rep.created == 1 and Phone.get().kind == "mobile"


@pytest.mark.parametrize("engine", ["calamine", "openpyxl"])
def test_both_read_engines_give_the_same_base(session, actor, sheet, engine):
    rep = importer.run_import(actor, sheet, engine=engine)
    assert (rep.created, rep.merged, rep.rejected, rep.persons_created, rep.companies_created) == (4, 1, 1, 3, 2)


_cell = st.one_of(st.none(), st.integers(-10**12, 10**15), st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=40),
                  st.text(alphabet=string.digits + " +-()доб.,;", max_size=30), st.dates())


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(headers=st.lists(st.sampled_from(["ФИО", "Телефон", "Компания", "ИНН", "E-mail", "Теги", "Бюджет", "Название сделки", "", "??"]), min_size=1, max_size=6),
       rows=st.lists(st.lists(_cell, max_size=8), max_size=12), kind=st.sampled_from(["xlsx", "csv", "junk"]))
def test_random_bad_files_never_raise_or_leave_a_partial_batch(session, actor, tmp_path_factory, headers, rows, kind):
    d = tmp_path_factory.mktemp("h")
    if kind == "xlsx":
        path = write_xlsx(d / "r.xlsx", headers, rows)
    elif kind == "csv":
        path = write_csv(d / "r.csv", headers, rows)
    else:
        path = d / "r.xlsx"
        path.write_bytes(b"PK\x03\x04" + bytes(str(rows), "utf-8")[:200])
    before = counts(), ImportBatch.select().count()
    try:
        rep = importer.run_import(actor, path)
    except ServiceError:
        assert (counts(), ImportBatch.select().count()) == before
        return
    batch = ImportBatch.get_by_id(rep.batch_id)
    assert batch.status == "done" and batch.rows_total == rep.rows_total
    undo.undo_batch(actor, rep.batch_id)
    assert counts() == before[0]


def test_second_core_phone_parsing_gives_the_same_base(ui_session, tmp_path):
    """The worker process is engine-independent: SQLite only."""
    actor = ui_session.actor
    born = [dt.date(1950 + i, 1 + i % 12, 1 + i % 28) for i in range(60)]
    rows = [[f"Человек {i}", f"ООО Фирма {i % 7}", f"8 916 {i:03d}-45-67" if i != 7 else "12-34",
             9031000000.0 + i if i % 2 else None, born[i] if i % 3 else born[i].strftime("%d.%m.%Y")] for i in range(60)]
    path = write_xlsx(tmp_path / "p.xlsx", ["ФИО", "Компания", "Телефон", "Мобильный телефон", "Дата рождения"], rows)
    rep = importer.run_import(actor, path, workers=1, chunk_size=16)
    assert (rep.created, rep.rejected, rep.persons_created, rep.companies_created) == (60, 0, 60, 7)
    # the worker left while the last rows were written (REAP_NOTE), and is gone when the import returns
    assert multiprocessing.active_children() == []
    assert not [t for t in threading.enumerate() if t.name == "tuicrm-import-reaper"]
    assert Phone.select().count() == 90 and Phone.select().where(Phone.e164 == "+79031000001").exists()
    # what travels from the worker as plain values (SHIP_NOTE) is back to its kind in the base
    assert {p.full_name: p.birthday for p in Person.select()} == {f"Человек {i}": born[i] for i in range(60)}
    assert [(p.raw, p.kind, p.is_valid) for p in Phone.select().where(Phone.e164.is_null())] == [("12-34", "other", False)]
    assert importer.run_import(actor, path, workers=1, chunk_size=16).created == 0


@pytest.mark.skipif(__import__("tests.fixtures.import_files", fromlist=["soffice"]).soffice() is None,
                    reason="LibreOffice (soffice) is not installed")
def test_libreoffice_made_1c_sheet(session, actor, tmp_path):
    """LibreOffice turns ИНН and phones into number cells (the leading zero is lost): still read right."""
    from tests.fixtures.import_files import write_libreoffice

    path = write_libreoffice(tmp_path / "1c.xlsx", ["Наименование", "ИНН", "КПП", "Телефон", "Контактное лицо", "Юридический адрес"], [
        ["Ромашка ООО", "0701234567", "070101001", "84951234567", "Иванов Иван", "Нальчик"],
        ["Липа АО", "7702222222", "", "9161234567", "", "Москва"],
    ])
    rep = importer.run_import(actor, path)
    assert rep.rejected == 0, rep.problems
    c = Company.get(Company.name == "Ромашка ООО")
    assert (c.inn, c.kpp, c.address) == ("0701234567", "070101001", "Нальчик")
    assert c.phones.get().e164 == "+74951234567" and c.persons.get().full_name == "Иванов Иван"
    assert Company.get(Company.name == "Липа АО").phones.get().e164 == "+79161234567"


def test_chunk_lookups_use_the_key_indexes_on_a_new_sqlite_base(ui_session):
    """Without ANALYZE statistics SQLite picked the merged_into index for "IS NULL" with a long IN
    list and scanned every card once per chunk (the import was quadratic in the base size)."""
    from tuicrm.model import database

    db = database.obj
    expect = {"company_inn": "company_inn", "company_name": "company_name_key", "person_phone": "phone_e164",
              "person_email": "email_address_lower", "person_name": "person_name_key"}
    for name, sql in importer.lookup_sql().items():
        values = [f"v{i}" for i in range(1500)]
        plan = " / ".join(row[-1] for row in db.execute_sql("EXPLAIN QUERY PLAN " + sql.format(in_=",".join("?" * 1500)), values))
        assert expect[name] in plan and "merged_into" not in plan, (name, plan)


def test_chunk_lookups_use_the_key_indexes_on_a_base_with_statistics(ui_session):
    """With ANALYZE statistics (a grown base, like the large benchmark base) and ORDER BY "id",
    SQLite answered an IN list of ≈ 1,000 company names by scanning the whole table in id order,
    once per chunk: 3.6 s of a 100,000-row import into the large base. The lookups have no ORDER
    BY (the importer sorts) and use the key index at every IN-list size a chunk can make."""
    from tuicrm.model import database

    db = database.obj
    db.execute_sql("ANALYZE")  # creates sqlite_stat1; then the statistics of the large base
    db.execute_sql("DELETE FROM sqlite_stat1")
    stats = [("company", "company_name_key", "50000 3"), ("company", "company_inn", "50000 1"),
             ("company", "company_merged_into_id", "50000 50000"), ("company", "company_owner_id_name_key", "50000 1613 1"),
             ("person", "person_name_key", "200000 2"), ("person", "person_merged_into_id", "200000 200000"),
             ("phone", "phone_e164", "400000 1"), ("phone", "phone_person_id", "400000 2"),
             ("email", "email_address_lower", "200000 1"), ("email", "email_person_id", "200000 1")]
    db.execute_sql("INSERT INTO sqlite_stat1 (tbl, idx, stat) VALUES " + ",".join(["(?, ?, ?)"] * len(stats)),
                   [v for row in stats for v in row])
    db.execute_sql("ANALYZE sqlite_master")  # load them
    expect = {"company_inn": "company_inn", "company_name": "company_name_key", "person_phone": "phone_e164",
              "person_email": "email_address_lower", "person_name": "person_name_key"}
    for n in (10, 1000, importer.IN_MAX):
        for name, sql in importer.lookup_sql().items():
            plan = " / ".join(row[-1] for row in db.execute_sql("EXPLAIN QUERY PLAN " + sql.format(in_=",".join("?" * n)),
                                                                 [f"v{i}" for i in range(n)]))
            assert f"USING INDEX {expect[name]} " in plan and "SCAN" not in plan, (name, n, plan)


def _index_sql(db) -> dict[str, str]:
    return dict(db.execute_sql("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL").fetchall())


def test_random_key_indexes_are_rebuilt_after_a_big_import_and_kept_on_failure(ui_session, tmp_path, monkeypatch):
    """A big import into a smaller SQLite base drops the indexes it never reads and rebuilds them
    before commit; a failed or dry run gets them back by the rollback."""
    from tuicrm.model import database

    db, actor = database.obj, ui_session.actor
    before = _index_sql(db)
    assert set(importer.DEFERRED_INDEXES) <= set(before)
    monkeypatch.setattr(importer, "DEFER_INDEX_MIN_ROWS", 10)
    rows = [[f"Человек {i}", f"ООО Фирма {i % 3}", f"8916{i:07d}"] for i in range(40)]
    path = write_xlsx(tmp_path / "big.xlsx", ["ФИО", "Компания", "Телефон"], rows)
    seen = []
    importer.run_import(actor, path, chunk_size=10, workers=0, dry_run=True,
                        progress=lambda done, total: seen.append(set(importer.DEFERRED_INDEXES) & set(_index_sql(db))))
    assert seen[0] == set() and _index_sql(db) == before  # dropped while the rows went in; the rollback restored them

    def fail(done, total):
        if done >= 20:
            raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        importer.run_import(actor, path, chunk_size=10, workers=0, progress=fail)
    assert _index_sql(db) == before and Person.select().count() == 0
    rep = importer.run_import(actor, path, chunk_size=10, workers=0)
    assert rep.persons_created == 40 and _index_sql(db) == before
    plan = " ".join(r[-1] for r in db.execute_sql("EXPLAIN QUERY PLAN SELECT ref_id FROM search_token WHERE token = 'фирма' AND kind = 'p'"))
    assert "search_token_token_kind_ref_id" in plan
    # a file smaller than the base leaves the indexes alone
    seen.clear()
    small = write_xlsx(tmp_path / "small.xlsx", ["ФИО", "Компания", "Телефон"], rows[:20])
    importer.run_import(actor, small, chunk_size=10, workers=0, dry_run=True,
                        progress=lambda done, total: seen.append(set(importer.DEFERRED_INDEXES) & set(_index_sql(db))))
    assert seen[0] == set(importer.DEFERRED_INDEXES)


def test_a_reference_broken_before_a_big_import_does_not_fail_it(ui_session, tmp_path, monkeypatch):
    """FK_CHECK_NOTE: a reference broken before the import (by hand: tuicrm enforces its keys) is
    found by the baseline check and is not the import's; a reference the import breaks still fails it."""
    from tuicrm.model import database

    db, actor = database.obj, ui_session.actor
    monkeypatch.setattr(importer, "DEFER_INDEX_MIN_ROWS", 10)
    pid = person_with_a_broken_company(db, actor, "+7 916 000-00-01")
    assert len(db.execute_sql("PRAGMA foreign_key_check").fetchall()) == 1
    rows = [[f"Человек {i}", f"ООО Фирма {i % 3}", f"8917{i:07d}"] for i in range(30)]
    path = write_xlsx(tmp_path / "big.xlsx", ["ФИО", "Компания", "Телефон"], rows)
    seen = []
    rep = importer.run_import(actor, path, chunk_size=10, workers=0,
                              progress=lambda done, total: seen.append(db.execute_sql("PRAGMA foreign_keys").fetchone()[0]))
    assert rep.persons_created == 30 and seen[0] == 0 and Person.select().count() == 31
    assert [tuple(r)[:3] for r in db.execute_sql("PRAGMA foreign_key_check")] == [("person", pid, "company")]

    monkeypatch.setattr(importer._Ctx, "owner", lambda self, name: 987654)  # no such user: the import's own break
    other = write_xlsx(tmp_path / "owners.xlsx", ["ФИО", "Телефон", "Ответственный"],
                       [[f"Другой {i}", f"8918{i:07d}", "Кто-то"] for i in range(40)])
    with pytest.raises(ServiceError, match=r"person #\d+ → user"):
        importer.run_import(actor, other, chunk_size=10, workers=0)
    assert Person.select().count() == 31 and db.execute_sql("PRAGMA foreign_keys").fetchone()[0] == 1


def test_the_foreign_key_check_covers_every_table_an_import_writes(ui_session, tmp_path, monkeypatch):
    """FK_CHECK_NOTE: the tables checked at the end are all the tables an import writes to (cards,
    phones, e-mails, tags, notes, deals and their stage history, the batch, its items, the audit)."""
    from tuicrm.model import database

    db, actor = database.obj, ui_session.actor
    contacts.create_person(actor, full_name="Старый Клиент", phones=["+7 916 000-00-01"])
    written: set[str] = set()
    real = type(db).execute_sql

    def spy(self, sql, params=None, *args, **kwargs):
        words = sql.split(None, 4)
        if words[0] in ("INSERT", "UPDATE"):
            written.add(sql.split('"')[1])
        return real(self, sql, params, *args, **kwargs)

    monkeypatch.setattr(type(db), "execute_sql", spy)
    rows = [["Старый Клиент", "ООО Старое", "+7 916 000-00-01", "a@b.ru", "vip", "звонить утром", "Поставка", "1000"]]
    rows += [[f"Человек {i}", f"ООО Фирма {i % 3}", f"8917{i:07d}", f"p{i}@x.ru", "опт", f"заметка {i}", f"Сделка {i}", "500"]
             for i in range(8)]
    path = write_xlsx(tmp_path / "all.xlsx", ["ФИО", "Компания", "Телефон", "E-mail", "Теги", "Комментарий",
                                               "Название сделки", "Бюджет"], rows)
    rep = importer.run_import(actor, path, workers=0)
    assert (rep.persons_created, rep.persons_merged, rep.rejected, rep.deals_created) == (8, 1, 0, 9)
    assert {"person", "company", "phone", "email", "tag", "person_tag", "note", "deal", "stage_change", "import_batch",
            "import_item", "audit_log", "search_token"} <= written
    assert written <= set(importer._FK_CHECKED)


def test_a_big_import_checks_its_foreign_keys_once_before_it_commits(ui_session, tmp_path, monkeypatch):
    """FK_CHECK_NOTE: a big import into a smaller SQLite base runs with the connection's foreign keys
    off (no statement journal) and checks every reference once before it commits. A broken one (here
    an owner id that is no user, as an importer bug would make) fails the import, nothing is
    written, and the connection has its keys back."""
    from tuicrm.model import database

    db, actor = database.obj, ui_session.actor
    monkeypatch.setattr(importer, "DEFER_INDEX_MIN_ROWS", 10)
    rows = [[f"Человек {i}", f"ООО Фирма {i % 3}", f"8916{i:07d}", "опт"] for i in range(30)]
    path = write_xlsx(tmp_path / "big.xlsx", ["ФИО", "Компания", "Телефон", "Теги"], rows)
    seen = []
    rep = importer.run_import(actor, path, chunk_size=10, workers=0,
                              progress=lambda done, total: seen.append(db.execute_sql("PRAGMA foreign_keys").fetchone()[0]))
    assert rep.persons_created == 30 and seen[0] == 0  # off while the rows went in
    assert db.execute_sql("PRAGMA foreign_keys").fetchone()[0] == 1
    assert db.execute_sql("PRAGMA foreign_key_check").fetchall() == []
    counts = (Person.select().count(), Company.select().count(), Phone.select().count(), ImportBatch.select().count())

    monkeypatch.setattr(importer._Ctx, "owner", lambda self, name: 987654)  # no such user
    other = write_xlsx(tmp_path / "owners.xlsx", ["ФИО", "Компания", "Телефон", "Ответственный"],
                       [[f"Другой {i}", "ООО Новая", f"8917{i:07d}", "Кто-то"] for i in range(40)])
    with pytest.raises(ServiceError, match="do not exist"):
        importer.run_import(actor, other, chunk_size=10, workers=0)
    assert (Person.select().count(), Company.select().count(), Phone.select().count(), ImportBatch.select().count()) == counts
    assert db.execute_sql("PRAGMA foreign_keys").fetchone()[0] == 1
    # a file smaller than the base (30 persons), but not by more than FK_CHECK_RATIO: checked at the
    # end too, with the indexes kept
    def keys_and_indexes(done, total):
        seen.append((db.execute_sql("PRAGMA foreign_keys").fetchone()[0], set(importer.DEFERRED_INDEXES) <= set(_index_sql(db))))

    seen.clear()
    small = write_xlsx(tmp_path / "small.xlsx", ["ФИО", "Телефон"], [[f"Третий {i}", f"8918{i:07d}"] for i in range(12)])
    assert importer.run_import(actor, small, chunk_size=10, workers=0, dry_run=True, progress=keys_and_indexes).created == 12
    assert seen[0] == (0, True)
    # a base more than FK_CHECK_RATIO times the file keeps its keys enforced row by row (the check
    # reads the whole tables)
    monkeypatch.setattr(importer, "FK_CHECK_RATIO", 2.0)
    seen.clear()
    assert importer.run_import(actor, small, chunk_size=10, workers=0, progress=keys_and_indexes).created == 12
    assert seen[0] == (1, True) and db.execute_sql("PRAGMA foreign_keys").fetchone()[0] == 1


def test_the_worker_process_gives_the_same_report_in_the_session_language(ui_session, tmp_path):
    """Rows prepared in the worker (messages, owner warnings in column order, rejections, flagged
    phones) report exactly what rows prepared in the importing process do, in Russian too."""
    from tuicrm import i18n

    actor = ui_session.actor
    users.create_user("mpetrova", "Мария Петрова")
    head = ["ФИО", "Ответственный", "Телефон", "E-mail", "ИНН", "Компания", "Дата рождения", "Ответственный"]
    rows = [[f"Человек {i}", ["nobody", "Мария Петрова", None][i % 3], ["123", "8 916 000-00-%02d" % i, None][i % 3],
             ["bad-email", f"u{i}@x.ru"][i % 2], [None, "12345", "7701234567"][i % 3] if i % 5 else None,
             f"ООО {i % 4}", ["32.13.2000", None][i % 2], ["ghost", None][i % 2]] for i in range(45)]
    path = write_xlsx(tmp_path / "w.xlsx", head, rows)
    try:
        for lang in ("en", "ru"):
            i18n.set_language(lang)
            mapping = ["full_name", "owner", "phone", "email", "inn", "company", "birthday", "owner"]  # two owner columns
            here = importer.run_import(actor, path, mapping=mapping, workers=0, chunk_size=7, dry_run=True)
            there = importer.run_import(actor, path, mapping=mapping, workers=1, chunk_size=7, dry_run=True)
            assert [(p.row, p.kind, p.message) for p in there.problems] == [(p.row, p.kind, p.message) for p in here.problems]
            assert there.to_json() == here.to_json() and here.rejected and here.phones_flagged
            assert [r[:2] for r in there.rejected_rows] == [r[:2] for r in here.rejected_rows]
        assert any("ghost" in p.message for p in here.problems) and any("ИНН" in p.message for p in here.problems)
    finally:
        i18n.set_language("en")


def test_the_garbage_collector_is_back_on_after_an_import(ui_session, tmp_path):
    import gc

    path = write_xlsx(tmp_path / "g.xlsx", ["ФИО"], [["Кто-то"]])
    importer.run_import(ui_session.actor, path)
    assert gc.isenabled()
    with pytest.raises(ServiceError):
        importer.run_import(ui_session.actor, write_xlsx(tmp_path / "h.xlsx", ["ФИО"], []))
    assert gc.isenabled()


class _InProcessPool:
    """A stand-in for the worker pool: runs each call here, and after ``alive`` calls behaves like a
    worker that died (every later call fails as a broken pool does)."""

    def __init__(self, alive: int):
        self.alive, self.calls = alive, 0

    def submit(self, fn, *args):
        from concurrent.futures import Future
        from concurrent.futures.process import BrokenProcessPool

        self.calls += 1
        f: Future = Future()
        if self.calls > self.alive:
            f.set_exception(BrokenProcessPool("the worker died"))
        else:
            try:
                f.set_result(fn(*args))
            except BaseException as exc:  # noqa: BLE001 - as a real pool hands it over
                f.set_exception(exc)
        return f

    def shutdown(self, wait=True, cancel_futures=False):
        pass


def test_a_worker_that_dies_midway_leaves_the_rest_to_the_importing_process(ui_session, tmp_path, monkeypatch):
    """The worker reads the file; when it dies after any number of chunks, the importing process
    reads the rest (skipping what it already got) and the report and the base are the same."""
    actor = ui_session.actor
    rows = [[f"Человек {i % 40}", f"ООО Фирма {i % 6}", f"8 916 {i % 50:03d}-45-67", [None, "12345", "7701234567"][i % 3] if i % 4 else None,
             [f"u{i}@x.ru", "bad-email"][i % 5 == 0]] for i in range(60)]
    path = write_xlsx(tmp_path / "w.xlsx", ["ФИО", "Компания", "Телефон", "ИНН", "E-mail"], rows)
    here = importer.run_import(actor, path, workers=0, chunk_size=7, dry_run=True)
    assert here.rejected and here.merged
    for alive in (0, 1, 2, 3, 5, 100):
        monkeypatch.setattr(importer, "_worker_pool", lambda: _InProcessPool(alive))
        there = importer.run_import(actor, path, workers=1, chunk_size=7, dry_run=True)
        assert there.to_json() == here.to_json(), alive
        assert [r[:2] for r in there.rejected_rows] == [r[:2] for r in here.rejected_rows]
        assert [r[1] for r in there.rejected_rows] == [r[1] for r in here.rejected_rows]  # the cells came back too
    monkeypatch.setattr(importer, "_worker_pool", lambda: _InProcessPool(2))
    rep = importer.run_import(actor, path, workers=1, chunk_size=7)
    assert rep.rows_total == 60 and Person.select().count() == rep.persons_created > 0


def test_no_second_process_the_file_is_read_here(ui_session, tmp_path, monkeypatch):
    """When the worker's pool cannot be made at all (no semaphores, a resource tracker that cannot
    start), the import reads the file in this process and gives the same result."""
    actor = ui_session.actor
    rows = [[f"Человек {i}", f"8 916 {i:03d}-45-67"] for i in range(30)]
    path = write_xlsx(tmp_path / "n.xlsx", ["ФИО", "Телефон"], rows)
    here = importer.run_import(actor, path, workers=0, chunk_size=7, dry_run=True)

    def no_pool():
        raise ValueError("bad value(s) in fds_to_keep")

    monkeypatch.setattr(importer, "_worker_pool", no_pool)
    there = importer.run_import(actor, path, workers=1, chunk_size=7)
    def outcome(rep):
        return rep.rows_total, rep.created, rep.merged, rep.rejected, rep.persons_created, rep.phones_flagged

    assert outcome(there) == outcome(here) == (30, 30, 0, 0, 30, 0) and there.batch_id
    assert Person.select().count() == 30 and Phone.select().count() == 30


def test_a_file_error_met_by_the_worker_is_the_import_error(ui_session, tmp_path):
    """A row the worker cannot decode fails the import with the message the importing process
    would give (not silently read again), and nothing is written."""
    actor = ui_session.actor
    path = tmp_path / "late.csv"
    lines = ["ФИО;Телефон"] + [f"Человек {i};8916{i:07d}" for i in range(30000)]
    path.write_bytes(("\n".join(lines) + "\n").encode("utf-8") + "Плохой;1\n".encode("cp1251"))
    errors = []
    for workers in (0, 1):
        with pytest.raises(ServiceError) as exc:
            importer.run_import(actor, path, workers=workers, chunk_size=5000)
        errors.append(str(exc.value))
    assert errors[0] == errors[1] and "utf-8" in errors[0] and Person.select().count() == 0


def test_a_file_changed_before_the_importing_process_reads_the_rest_is_refused(ui_session, tmp_path, monkeypatch):
    """When the worker dies and the file has another header by then, nothing is imported (its rows
    would land in the wrong fields)."""
    actor = ui_session.actor
    rows = [[f"Человек {i}", f"8 916 {i:03d}-45-67"] for i in range(30)]
    path = write_xlsx(tmp_path / "c.xlsx", ["ФИО", "Телефон"], rows)

    class Changing(_InProcessPool):
        def submit(self, fn, *args):
            if self.calls == 1:  # the worker opened the file; now it changes, and the worker dies
                write_xlsx(path, ["Телефон", "ФИО"], [r[::-1] for r in rows])
            return super().submit(fn, *args)

    monkeypatch.setattr(importer, "_worker_pool", lambda: Changing(1))
    with pytest.raises(ServiceError, match="changed while it was being imported"):
        importer.run_import(actor, path, workers=1, chunk_size=7)
    assert Person.select().count() == 0 and ImportBatch.select().count() == 0


def test_deferred_indexes_are_sorted_in_a_small_cache_which_is_restored(ui_session, tmp_path, monkeypatch):
    """REBUILD_NOTE: the rebuild runs with the cache at REBUILD_CACHE_KIB (the sort reuses its memory
    instead of adding up to 64 MB), and the connection's own cache size is back after it."""
    from tuicrm.model import database

    db = database.obj
    before = db.execute_sql("PRAGMA cache_size").fetchone()[0]
    assert -before > importer.REBUILD_CACHE_KIB  # the configured cache is the bigger one
    monkeypatch.setattr(importer, "DEFER_INDEX_MIN_ROWS", 10)
    real = db.execute_sql
    during = []

    def spy(sql, *args, **kwargs):
        if sql.startswith("CREATE INDEX"):
            during.append(real("PRAGMA cache_size").fetchone()[0])
        return real(sql, *args, **kwargs)

    monkeypatch.setattr(db, "execute_sql", spy)
    rows = [[f"Человек {i}", f"ООО Фирма {i % 3}", f"8916{i:07d}"] for i in range(40)]
    rep = importer.run_import(ui_session.actor, write_xlsx(tmp_path / "big.xlsx", ["ФИО", "Компания", "Телефон"], rows),
                              chunk_size=10, workers=0)
    assert rep.persons_created == 40
    assert len(during) == len(importer.DEFERRED_INDEXES + importer.MEMO_INDEXES)
    assert set(during) == {-importer.REBUILD_CACHE_KIB}
    assert db.execute_sql("PRAGMA cache_size").fetchone()[0] == before
