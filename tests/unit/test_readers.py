"""Readers: office-made files, encodings, delimiters, header detection, bad input."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.fixtures.import_files import write_csv, write_openpyxl, write_xlsx
from tuicrm.transfer.readers import ReadError, open_table

HEAD = ["ФИО", "Компания", "Телефон", "E-mail", "Дата рождения", None]
ROWS = [
    ["Иванов Иван ", "ООО «Ромашка»", 9161234567, "i@r.ru", dt.date(1980, 2, 1), "лишнее"],
    [None, None, None, None, None, None],
    ["Петрова Анна", None, "8 (916) 765-43-21", None, None, None],
]


@pytest.mark.parametrize("engine", ["calamine", "openpyxl"])
def test_xlsx_title_rows_blank_rows_floats_dates(tmp_path, engine):
    path = write_xlsx(tmp_path / "a.xlsx", HEAD, ROWS, title_rows=2)
    t = open_table(path, engine=engine)
    assert t.engine == engine and t.header_row == 3
    assert t.headers[:5] == ["ФИО", "Компания", "Телефон", "E-mail", "Дата рождения"] and t.headers[5] == ""
    rows = list(t.rows())
    assert [n for n, _ in rows] == [4, 6]  # the blank row 5 is skipped, numbers are file rows
    first = rows[0][1]
    assert first[0] == "Иванов Иван"  # trailing space gone
    assert float(first[2]) == 9161234567.0
    assert first[4] in (dt.date(1980, 2, 1), dt.datetime(1980, 2, 1))
    assert first[5] == "лишнее"


def test_openpyxl_written_file_and_sheet_choice(tmp_path):
    path = write_openpyxl(tmp_path / "b.xlsx", ["Имя", "Телефон"], [["Анна", "89161234567"]])
    t = open_table(path)
    assert t.headers == ["Имя", "Телефон"]
    assert list(t.rows()) == [(2, ["Анна", "89161234567"])]
    with pytest.raises(ReadError, match="no sheet 'Нет'"):
        open_table(path, "Нет")


@pytest.mark.parametrize("encoding,delimiter", [("cp1251", ";"), ("utf-8-sig", ","), ("utf-8", "\t"), ("utf-8", ";")])
def test_csv_encoding_and_delimiter(tmp_path, encoding, delimiter):
    path = write_csv(tmp_path / "c.csv", ["ФИО", "Телефон", "Комментарий"],
                     [["Ёлкин Пётр", "+7 916 123-45-67", "звонить; после 10, спросить"]], encoding=encoding, delimiter=delimiter)
    t = open_table(path)
    assert t.delimiter == delimiter
    assert t.headers == ["ФИО", "Телефон", "Комментарий"]
    assert list(t.rows())[0][1] == ["Ёлкин Пётр", "+7 916 123-45-67", "звонить; после 10, спросить"]


def test_huge_cell_is_cut_not_fatal(tmp_path):
    path = write_csv(tmp_path / "h.csv", ["ФИО", "Комментарий"], [["Анна", "я" * 100_000]])
    rows = list(open_table(path).rows())
    assert rows[0][1][0] == "Анна" and len(rows[0][1][1]) == 32767


@pytest.mark.parametrize("content,message", [
    (b"", "empty"),
    (b"PK\x03\x04garbage-not-a-zip", "damaged"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600 + "EncryptedPackage".encode("utf-16-le") + b"\x00" * 100, "password"),
    (b"\x00\x01\x02binary\x00junk" * 20, "not a spreadsheet"),
])
def test_bad_files_give_clear_errors(tmp_path, content, message):
    path = tmp_path / "bad.xlsx"
    path.write_bytes(content)
    if message == "not a spreadsheet":
        path = path.rename(tmp_path / "bad.csv")
    with pytest.raises(ReadError, match=message):
        open_table(path)


def test_empty_sheet_and_headerless_sheet(tmp_path):
    with pytest.raises(ReadError, match="empty"):
        open_table(write_xlsx(tmp_path / "e.xlsx", [], []))
    with pytest.raises(ReadError, match="no header row"):
        open_table(write_xlsx(tmp_path / "n.xlsx", ["Иванов", "89161234567"], [["Петров", "89161234568"]]))
    with pytest.raises(ReadError, match="not a spreadsheet"):
        p = tmp_path / "x.xlsx"
        p.write_text("ФИО;Телефон\n", encoding="utf-8")
        open_table(p)


@pytest.mark.skipif(__import__("tests.fixtures.import_files", fromlist=["soffice"]).soffice() is None,
                    reason="LibreOffice (soffice) is not installed")
def test_libreoffice_made_xlsx(tmp_path):
    from tests.fixtures.import_files import write_libreoffice

    path = write_libreoffice(tmp_path / "lo.xlsx", ["ФИО", "Телефон", "ИНН"], [["Ёлкин Пётр", "9161234567", "0701234567"]])
    t = open_table(path)
    rows = list(t.rows())
    assert t.headers == ["ФИО", "Телефон", "ИНН"] and rows[0][1][0] == "Ёлкин Пётр"


def test_both_engines_read_dates_times_and_numbers_the_same(tmp_path):
    """A date at midnight is a date, a time or a duration its text, from either engine (openpyxl,
    for very large sheets, gave datetimes and time objects: "1980-02-01 00:00:00" in a text field)."""
    import xlsxwriter

    path = tmp_path / "t.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet()
    fmts = [wb.add_format({"num_format": f}) for f in ("dd.mm.yyyy", "dd.mm.yyyy hh:mm", "hh:mm", "[h]:mm:ss")]
    for c, h in enumerate(["ФИО", "Дата", "Когда", "Полночь", "Время", "Длительность", "Число", "Дробь", "Да"]):
        ws.write_string(0, c, h)
    ws.write_string(1, 0, "Иван")
    ws.write_datetime(1, 1, dt.datetime(1980, 2, 1), fmts[0])
    ws.write_datetime(1, 2, dt.datetime(1980, 2, 1, 13, 5), fmts[1])
    ws.write_datetime(1, 3, dt.datetime(1980, 2, 1), fmts[1])
    ws.write_number(1, 4, 0.5, fmts[2])
    ws.write_number(1, 5, 1.5, fmts[3])
    ws.write_number(1, 6, 9161234567)
    ws.write_number(1, 7, 5.5)
    ws.write_boolean(1, 8, True)
    wb.close()
    got = {engine: list(open_table(path, engine=engine).rows()) for engine in ("calamine", "openpyxl")}
    expect = ["Иван", dt.date(1980, 2, 1), dt.datetime(1980, 2, 1, 13, 5), dt.date(1980, 2, 1), "12:00:00",
              "1 day, 12:00:00", 9161234567, 5.5, True]
    for engine, rows in got.items():
        assert rows == [(2, expect)], engine
        assert [type(v) for v in rows[0][1]][:6] == [type(v) for v in expect][:6], engine
