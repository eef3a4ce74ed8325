"""`tuicrm import` / `tuicrm export` through the entry point: no terminal, exit codes, report, undo."""

from __future__ import annotations

import subprocess
import sys

import openpyxl

from tests.fixtures.import_files import write_csv


def run(*args, db):
    return subprocess.run([sys.executable, "-m", "tuicrm", "--db", db, "--user", "tester", *map(str, args)],
                          capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=120)


def test_import_report_rejected_file_reimport_undo_list(sqlite_url, tmp_path):
    path = write_csv(tmp_path / "clients.csv", ["ФИО", "Телефон", "ИНН", "Компания"], [
        ["Иванов Иван", "8 916 123-45-67", "7701234567", "ООО Ромашка"],
        ["Петров Пётр", "89161112233", "123", "ООО Липа"],
    ], encoding="cp1251")
    dry = run("import", path, "--dry-run", db=sqlite_url)
    assert dry.returncode == 0, dry.stderr
    assert "Dry run" in dry.stdout and "→ Person: full name" in dry.stdout and "created 1" in dry.stdout
    r = run("import", path, db=sqlite_url)
    assert r.returncode == 0, r.stderr
    assert "created 1" in r.stdout and "rejected 1" in r.stdout and "row 3:" in r.stdout
    assert "rows/s" in r.stderr  # progress on stderr
    rejected = tmp_path / "clients.rejected.xlsx"
    ws = openpyxl.load_workbook(rejected).active
    assert [c.value for c in ws[1]] == ["ФИО", "Телефон", "ИНН", "Компания", "Row", "Reason"]
    assert ws.cell(2, 1).value == "Петров Пётр" and "10 or 12 digits" in ws.cell(2, 6).value
    again = run("import", path, "--yes", db=sqlite_url)
    assert "created 0" in again.stdout
    listing = run("import", "--list", db=sqlite_url)
    assert listing.returncode == 0 and listing.stdout.count("clients.csv") == 2
    u = run("import", "--undo", "1", db=sqlite_url)
    assert u.returncode == 0 and "deleted 1 persons, 1 companies" in u.stdout
    look = run("lookup", "89161234567", db=sqlite_url)
    assert look.returncode == 1


def test_nothing_importable_exits_2_with_one_line(sqlite_url, tmp_path):
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(b"not a workbook at all")
    r = run("import", bad, db=sqlite_url)
    assert r.returncode == 2 and "Traceback" not in r.stderr and "not a spreadsheet" in r.stderr
    allrej = write_csv(tmp_path / "r.csv", ["ФИО", "ИНН", "Компания"], [["А", "1", "Б"]])
    r = run("import", allrej, db=sqlite_url)
    assert r.returncode == 2 and "rejected 1" in r.stdout


def test_export_cli(sqlite_url, tmp_path):
    path = write_csv(tmp_path / "c.csv", ["ФИО", "Телефон"], [["Иванов Иван", "8 916 123-45-67"]])
    assert run("import", path, db=sqlite_url).returncode == 0
    out = tmp_path / "p.xlsx"
    r = run("export", "persons", "-o", out, db=sqlite_url)
    assert r.returncode == 0 and "1 rows written" in r.stdout
    assert openpyxl.load_workbook(out).active.cell(2, 1).value == "Иванов Иван"
    r = run("export", "persons", "-o", tmp_path / "p.pdf", db=sqlite_url)
    assert r.returncode == 2 and ".pdf" in r.stderr
