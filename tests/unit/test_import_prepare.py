"""The worker's row preparation (importer._parse_row/_pack/_worker_read) after its speed work:
cell readers chosen once per mapping give the rows the per-cell if/elif chain gave."""

from __future__ import annotations

import datetime as dt
import gc
import marshal
import pickle
import random

import pytest

from tuicrm.model.enums import PhoneKind
from tuicrm.services import phones as phone_svc
from tuicrm.services.contacts import normalize_email, split_emails, split_tags
from tuicrm.transfer import importer, values
from tuicrm.transfer import mapping as mapping_mod


def _reference_cells(ctx, r, cells, mapping):
    """The per-cell chain _parse_row had before (run 4), verbatim: the reference."""
    _ = importer._
    for value, code in zip(cells, mapping):
        if value is None or not code:
            continue
        if code in mapping_mod.PHONE_FIELDS:
            r.phones.extend(ctx.phones(value, mapping_mod.PHONE_FIELDS[code]))
        elif code == "company_phone":
            r.company_phones.extend(ctx.phones(value, None))
        elif code in ("email", "company_email"):
            target = r.emails if code == "email" else r.company_emails
            for e in split_emails(value):
                address, ok = normalize_email(e)
                if address:
                    target.append((address[:254], ok))
                    if not ok:
                        r.warnings.append(_("email {value!r} does not look valid; kept as written").format(value=address[:60]))
        elif code == "tags":
            r.tags.extend(split_tags(value))
        elif code == "note":
            t = phone_svc.cell_to_text(value).strip()
            if t:
                r.notes.append(t[:20_000])
        elif code == "birthday":
            d, ok = values.to_date(value)
            if ok:
                r.birthday = d
            else:
                r.warnings.append(_("birthday {value!r} is not a date; left empty").format(value=values.text(value, 40)))
        elif code == "inn":
            inn, ok = values.tax_id(value, (10, 12))
            if not ok:
                return _("tax id (ИНН) {value!r} must have 10 or 12 digits").format(value=values.text(value, 40))
            r.inn = inn
        elif code == "kpp":
            kpp, ok = values.tax_id(value, (9,))
            if not ok:
                return _("KPP {value!r} must have 9 digits").format(value=values.text(value, 40))
            r.kpp = kpp
        elif code == "deal_amount":
            amount, ok = values.money_minor(value)
            if ok:
                r.deal_amount = amount
            else:
                r.warnings.append(_("amount {value!r} is not a number; left at 0").format(value=values.text(value, 40)))
        elif code == "owner":
            name = values.text(value, 200)
            if name:
                r.owner_names.append((name, len(r.warnings)))
        else:
            t = values.text(value)
            if code == "full_name":
                r.full_name = t[:320]
            elif code == "last_name":
                r.last = t[:100]
            elif code == "first_name":
                r.first = t[:100]
            elif code == "middle_name":
                r.middle = t[:100]
            elif code == "position":
                r.position = t[:200] or None
            elif code == "company":
                r.company = t[:300]
            elif code in ("address",):
                r.address = t or None
            elif code == "site":
                r.site = t[:300] or None
            elif code == "industry":
                r.industry = t[:200] or None
            elif code == "source":
                r.source = t[:200] or None
            elif code == "deal_title":
                r.deal_title = t[:300]
            elif code == "deal_stage":
                r.deal_stage = t[:200]
    return None


def _random_value(rnd: random.Random):
    return rnd.choice([
        None, None, "", "Иванов Иван Иванович", "  Пётр   Петров ", "ООО «Ромашка»", "x" * 400, "8 916 123-45-67", "+7 (495) 123-45-67 доб. 12",
        "тел. 8 916 123 45 67 (Иван); 8 800 555 35 35", "12-34", 9161234567.0, 79161234567.0, 7707083893.0, 7707083893, "7707083893",
        "770708389", "123456789", 12345678.0, "a@b.ru", "A@B.RU, c@d", "bad@", "<x@y.ru>; z@w.org", "опт, vip", "vip#розница",
        dt.datetime(1980, 5, 17), dt.date(1990, 1, 2), "17.05.1980", "not a date", 29000.0, "1 500 000,50 ₽", "abc", -5.0, 1.5,
        "Новая", "Переговоры", "note\nwith lines", "\x00", "1e400", True, 0, float("inf"),
    ])


class _NoCells(importer._Prep):
    """A _Prep with no cell readers: _parse_row then only runs its steps after the cells."""

    def plan(self, mapping):
        return []


def test_cell_readers_equal_the_per_cell_chain(monkeypatch):
    rnd = random.Random(3)
    codes = [f.code for f in mapping_mod.FIELDS] + ["", "unknown_code"]
    rejected = kept = 0
    for trial in range(3000):
        width = rnd.randrange(1, 12)
        mapping = [rnd.choice(codes) for _ in range(width)] + [""]
        cells = [_random_value(rnd) for _ in range(rnd.randrange(0, width + 3))]
        got = importer._parse_row(importer._Prep("RU"), trial, cells, mapping)
        ref = importer.RowData(trial, cells)
        reason = _reference_cells(importer._Prep("RU"), ref, cells, mapping)
        if reason is None:  # the steps after the cells (names, company rows, keys) on the reference's row
            with monkeypatch.context() as m:
                m.setattr(importer, "RowData", lambda number, cells_: ref)
                reason = importer._parse_row(_NoCells("RU"), trial, cells, mapping)
        if isinstance(got, str):
            rejected += 1
            assert got == reason, (cells, mapping)
        else:
            kept += 1
            assert got == reason and got.__dict__ == reason.__dict__, (cells, mapping)
    assert rejected > 300 and kept > 300


def test_every_field_has_a_cell_reader():
    for f in mapping_mod.FIELDS:
        assert f.code in importer._CELL_READERS, f.code


def test_pack_is_the_fields_in_order():
    r = importer._parse_row(importer._Prep("RU"), 7, ["Иванов Иван", "ООО Ромашка", "8 916 123 45 67", "a@b.ru", "опт"],
                            ["full_name", "company", "phone", "email", "tags", ""])
    assert importer._pack(r) == tuple(getattr(r, f) for f in importer._ROW_FIELDS)
    assert _fields(importer._unpack(importer._pack(r))) == _fields(r)


def _fields(r) -> tuple:
    """A row's values by name (a RowData, or the _Row a worker's tuple is read as: ROW_NOTE)."""
    return tuple(getattr(r, f) for f in importer._ROW_FIELDS) + (r.has_person,)


def test_a_row_from_the_worker_reads_as_the_row_it_was():
    """ROW_NOTE: the _Row of a packed row gives every field by name as the RowData did, its birthday
    as a date; the owner the importing process sets stays on that row."""
    prep = importer._Prep("RU")
    r = importer._parse_row(prep, 3, ["Иванов Иван", dt.date(1980, 2, 29), "Мария"], ["full_name", "birthday", "owner", ""])
    r.cells = None
    want = _fields(r)
    got = importer._unpack(importer._pack(r))
    assert isinstance(got, tuple) and _fields(got) == want and got.birthday == dt.date(1980, 2, 29)
    assert got.owner_id is None and got.owner_names == [("Мария", 0)]
    got.owner_id = 5
    assert got.owner_id == 5 and importer._unpack(importer._pack(importer._parse_row(prep, 4, ["Петров"], ["full_name"]))).owner_id is None


@pytest.mark.parametrize("enabled", [True, False])
def test_worker_read_pauses_the_collector_and_restores_it(tmp_path, enabled):
    path = tmp_path / "t.csv"
    path.write_text("ФИО;Телефон\n" + "".join(f"Иванов {i};8 916 123 45 {i % 100:02d}\n" for i in range(30)), encoding="utf-8")
    seen, pickled, marshalled = [], [], []
    real = importer._worker_prepare

    def spy(*args):
        seen.append(gc.isenabled())
        return real(*args)

    class PickleSpy:  # the chunk is pickled in the worker's call, with the collector still paused
        loads = staticmethod(pickle.loads)
        HIGHEST_PROTOCOL = pickle.HIGHEST_PROTOCOL

        @staticmethod
        def dumps(*args, **kwargs):
            pickled.append(gc.isenabled())
            return pickle.dumps(*args, **kwargs)

    class MarshalSpy:  # the prepared rows too (SHIP_NOTE)
        loads = staticmethod(marshal.loads)

        @staticmethod
        def dumps(*args, **kwargs):
            marshalled.append(gc.isenabled())
            return marshal.dumps(*args, **kwargs)

    was = gc.isenabled()
    try:
        gc.enable() if enabled else gc.disable()
        importer._worker_open(str(path), None, None, True, "en", 10)
        importer._worker_prepare = spy
        importer.pickle = PickleSpy
        importer.marshal = MarshalSpy
        chunks = []
        while (got := importer._worker_read(["full_name", "phone", ""], "RU", "en")) is not None:
            assert isinstance(got, tuple) and [type(b) for b in got] == [bytes, bytes]  # nothing left for the pool to walk
            chunks.append((pickle.loads(got[0]), importer._unship(got[1])))
            assert gc.isenabled() == enabled
        assert [len(cells) for cells, _prepared in chunks] == [10, 10, 10] and seen == [False, False, False]
        assert pickled == [False] * 3 and marshalled == [False] * 3  # the cells pickled, the rows marshalled
        assert importer._unpack(chunks[0][1][0]).full_name == "Иванов 0" and importer._unpack(chunks[0][1][0]).cells is None
    finally:
        importer._worker_prepare = real
        importer.pickle = pickle
        importer.marshal = marshal
        gc.enable() if was else gc.disable()


def test_prepared_rows_travel_marshalled_and_come_back_the_same():
    """SHIP_NOTE: a chunk of prepared rows is marshalled (birthday as its ordinal, a phone's default
    kind as plain str) and unpacks to the rows it was; a chunk holding a value marshal refuses goes
    pickled, and comes back the same."""
    prep = importer._Prep("RU")
    mapping = ["full_name", "phone", "email", "birthday", "tags", "company", ""]
    cells = [["Иванов Иван", "8 916 123-45-67, 12-34", "a@b.ru; плохой", dt.date(1980, 2, 29), "vip, опт", "ООО Ромашка"],
             ["Петров", "+7 495 123-45-67 доб. 12", None, "31.12.1999", None, None],
             [None, "89160000000", None, None, None, None]]  # no name: rejected
    rows = [(n, c) for n, c in enumerate(cells, start=2)]
    expected = [importer._parse_row(prep, n, c, mapping) for n, c in rows]
    blob = importer._ship(importer._prepare_rows(prep, rows, mapping, keep_cells=False))
    assert blob[:1] == b"M"
    back = importer._unship(blob)
    assert back[2] == [4, expected[2]]  # a rejected row: [number, reason]
    for got, want in zip(back[:2], expected[:2]):
        got = importer._unpack(got)
        want.cells = None
        assert _fields(got) == _fields(want) and type(got.birthday) is dt.date and got.phones == want.phones
    assert importer._unpack(back[0]).birthday == dt.date(1980, 2, 29)
    assert [kind for (_raw, _e, _x, _d, kind, *_rest), _k in importer._unpack(back[0]).phones] == ["mobile", "other"]

    odd = [(1, PhoneKind.MOBILE, [dt.date(2000, 1, 1)])]  # a str subclass, a date
    blob = importer._ship(odd)
    assert blob[:1] == b"P" and importer._unship(blob) == odd


def test_tag_cells_are_split_once_and_the_cache_stays_bounded(monkeypatch):
    monkeypatch.setattr(importer, "KEY_CACHE_MAX", 5)
    prep = importer._Prep("RU")
    mapping = ["full_name", "tags", ""]
    cells = ["vip, опт", "опт;#новый", 7, "vip, опт"] + [f"тег {i}" for i in range(20)] + ["vip, опт"]
    got = [importer._parse_row(prep, n, [f"Иванов {n}", c], mapping).tags for n, c in enumerate(cells)]
    assert got[:4] == [["vip", "опт"], ["опт", "новый"], ["7"], ["vip", "опт"]] and got[-1] == ["vip", "опт"]
    assert got[4:-1] == [[f"тег {i}"] for i in range(20)]
    assert got[0] is not got[3]  # each row its own list (the cached tuple is copied in)
    assert len(prep.tags_cache) <= 6


def test_insert_statements_come_in_few_lengths_on_sqlite():
    """STATEMENT_NOTE: the rows after the full statements go in statements of 256, 128, …, 1 rows on
    SQLite (each text parsed once), in one statement on PostgreSQL."""
    seen = set()
    for count in range(0, 1600):
        sizes = importer._statement_sizes(count, 500, True)
        assert sum(sizes) == count and sizes == sorted(sizes, reverse=True)
        seen.update(sizes)
        pg = importer._statement_sizes(count, 500, False)
        assert sum(pg) == count and len(pg) == count // 500 + (count % 500 > 0)
    assert seen == {500, 256, 128, 64, 32, 16, 8, 4, 2, 1}


def test_an_import_sends_each_table_few_statement_texts(ui_session, tmp_path, monkeypatch):
    from tests.fixtures.import_files import write_xlsx
    from tuicrm.model import database

    rows = [[f"Человек {i}", f"ООО Фирма {i % 5}", f"8 916 {i:03d}-45-67", "опт, vip" if i % 3 else None] for i in range(90)]
    path = write_xlsx(tmp_path / "s.xlsx", ["ФИО", "Компания", "Телефон", "Теги"], rows)
    texts: dict[str, set] = {}
    db = database.obj
    real = type(db).execute_sql

    def spy(self, sql, params=None, *args, **kwargs):
        if sql.startswith(("INSERT INTO", "INSERT OR FAIL INTO")):  # OR FAIL: the importer's own, on SQLite
            texts.setdefault(sql.split('"')[1], set()).add(sql)
        return real(self, sql, params, *args, **kwargs)

    monkeypatch.setattr(type(db), "execute_sql", spy)
    rep = importer.run_import(ui_session.actor, path, chunk_size=13, workers=0)
    assert rep.persons_created == 90
    # 13 persons a chunk go as 8 + 4 + 1, 26 of their search words as 16 + 8 + 2: texts of a power of
    # two rows only (without the split, a text for each count met: 13, 26, …)
    rows_of = {k: sorted(t.count("(") - 1 for t in v) for k, v in texts.items()}
    assert all(n & (n - 1) == 0 for sizes in rows_of.values() for n in sizes), rows_of
    assert {"person", "company", "phone", "search_token", "person_tag"} <= set(texts)


def test_values_shared_by_every_row_go_into_the_statement_and_come_back_the_same(session, monkeypatch):
    """LITERAL_NOTE: ``fixed`` ints and strs are written into the INSERT's text (a quote in a str
    quoted as SQL quotes it), anything else is bound; the rows read back as if every value were bound."""
    from tuicrm.model import Tag, database
    from tuicrm.transfer.importer import _bulk

    db = database.obj
    sent = []
    real = type(db).execute_sql

    def spy(self, sql, params=None, *args, **kwargs):
        if sql.startswith("INSERT"):
            sent.append((sql, list(params or ())))
        return real(self, sql, params, *args, **kwargs)

    monkeypatch.setattr(type(db), "execute_sql", spy)
    ids = _bulk(Tag, ("name_key",), [("k1",), ("k2",)], returning=True, fixed=(("name", "O'Brien'); --"), ("color", None)))
    monkeypatch.undo()
    assert [(t.id, t.name, t.name_key, t.color) for t in Tag.select().order_by(Tag.id)] == [
        (ids[0], "O'Brien'); --", "k1", None), (ids[1], "O'Brien'); --", "k2", None)]
    sql, params = sent[-1]
    assert "'O''Brien''); --'" in sql and "O'Brien'); --" not in params  # in the text, not bound
    assert params.count(None) == 2  # a None is bound (one per row), as any value that is not an int or a str
