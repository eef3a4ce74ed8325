"""`tuicrm report` through the entry point: table, csv, json, xlsx, saved reports, bad input."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
import subprocess
import sys

import pytest

T = dt.datetime


@pytest.fixture
def base(sqlite_url, tmp_path):
    from tuicrm import i18n
    from tuicrm.config import Settings
    from tuicrm.db.connection import close_database
    from tuicrm.model import Competitor, LossReason, Stage
    from tuicrm.services import activities, deals, reports, users
    from tuicrm.session import open_session

    i18n.set_language("en")
    s = open_session(sqlite_url, Settings(language="en"), user="head")
    actor = s.actor
    ann = users.create_user("ann", "Ann Antonova")
    st = {x.position: x.id for x in Stage.select()}
    activities.create_activity(actor, "call_out", "c", due_at=T(2026, 11, 3, 9), done_at=T(2026, 11, 3, 9),
                               outcome="reached", assignee_id=ann.id)
    activities.create_activity(actor, "meeting", "m", due_at=T(2026, 11, 4, 9), done_at=T(2026, 11, 4, 9), assignee_id=ann.id)
    d1 = deals.create_deal(actor, "Big", amount_minor=12_345_600, owner_id=ann.id, created_at=T(2026, 11, 2, 10))
    deals.move_deal(actor, d1, st[4], None, at=T(2026, 11, 10, 10))
    d2 = deals.create_deal(actor, "Lost one", amount_minor=50_000, owner_id=ann.id, created_at=T(2026, 11, 2, 10))
    acme = Competitor.create(name="Acme")
    reason = LossReason.get(LossReason.name == "Chose a competitor")
    deals.move_deal(actor, d2, st[5], None, at=T(2026, 11, 12, 10), loss_reason_id=reason.id, competitor_id=acme.id)
    reports.save_report(actor, "Nov wins", reports.ReportParams("winloss", "2026-11"), slot=2)
    close_database()
    env = dict(os.environ, TUICRM_DB=sqlite_url, TUICRM_USER="head", LANG="en_GB.UTF-8", TUICRM_TZ="")
    return env


def tuicrm(env, *args):
    return subprocess.run([sys.executable, "-m", "tuicrm", *args, "--lang", "en"], env=env, capture_output=True,
                          text=True, timeout=60)


def test_table_output(base):
    r = tuicrm(base, "report", "winloss", "--period", "2026-11", "--tz", "Europe/Moscow")
    assert r.returncode == 0, r.stderr
    assert "Won and lost — 1 Nov 2026" in r.stdout
    lines = [line for line in r.stdout.splitlines() if line.startswith("Nov 2026")]
    assert lines and lines[0].split()[2] == "1"  # one won
    assert "Acme" in r.stdout and "Chose a competitor" in r.stdout


def test_csv_and_json(base):
    r = tuicrm(base, "report", "activity", "--period", "2026-11", "--format", "csv", "--tz", "UTC")
    assert r.returncode == 0, r.stderr
    rows = list(csv.reader(io.StringIO(r.stdout)))
    assert rows[0][:3] == ["Manager", "Calls out", "Calls in"]
    ann = next(row for row in rows if row[0] == "Ann Antonova")
    assert ann[1] == "1" and ann[3] == "1" and ann[10] == "1"  # call out, meeting, reached
    r = tuicrm(base, "report", "Nov wins", "--format", "json", "--tz", "UTC")
    assert r.returncode == 0, r.stderr
    data = json.loads(r.stdout)
    assert data["report"] == "winloss" and data["period"]["start"] == "2026-11-01"
    assert data["tables"][0]["rows"][0][1:5] == [1, 123456.0, 1, 500.0]
    assert data["chart"]["series"][0]["name"] == "Won"


def test_xlsx_has_numbers_and_chart_sheet(base, tmp_path):
    from openpyxl import load_workbook

    out = tmp_path / "forecast.xlsx"
    r = tuicrm(base, "report", "winloss", "--period", "2026-11", "-o", str(out), "--tz", "UTC")
    assert r.returncode == 0, r.stderr
    wb = load_workbook(out)
    assert wb.sheetnames == ["Won and lost by month", "Loss reasons", "Competitors who won against us", "Chart data"]
    ws = wb["Won and lost by month"]
    assert [c.value for c in ws[2]][:3] == ["Period", "Won", "Won amount"]
    assert ws.cell(row=3, column=3).value == 123456.0 and ws.cell(row=3, column=3).number_format == "#,##0.00"
    assert ws.cell(row=3, column=6).value == 0.5 and ws.cell(row=3, column=6).number_format == "0.0%"
    assert ws.column_dimensions["C"].width >= 10
    chart = wb["Chart data"]
    assert [c.value for c in chart[2]] == ["Period", "Won", "Lost"] and chart.cell(row=3, column=2).value == 1


def test_bad_input_is_one_line_and_exit_2(base, tmp_path):
    r = tuicrm(base, "report", "funnel", "--period", "2026-03..2026-01")
    assert r.returncode == 2 and "ends before it starts" in r.stderr and "Traceback" not in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1
    r = tuicrm(base, "report", "funnel", "--period", "whenever")
    assert r.returncode == 2 and "cannot read the period" in r.stderr
    r = tuicrm(base, "report", "nosuch")
    assert r.returncode == 2 and "no report 'nosuch'" in r.stderr
    r = tuicrm(base, "report", "funnel", "-o", str(tmp_path / "missing" / "x.xlsx"))
    assert r.returncode == 2 and "does not exist" in r.stderr and "Traceback" not in r.stderr
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    r = tuicrm(base, "report", "funnel", "-o", str(locked / "x.xlsx"))
    locked.chmod(0o700)
    if os.geteuid() != 0:  # root writes anyway
        assert r.returncode == 2 and "cannot write" in r.stderr
    r = tuicrm(base, "report", "funnel", "-o", "/proc/tuicrm-report.xlsx")  # unwritable even for root
    assert r.returncode == 2 and "cannot write /proc/tuicrm-report.xlsx" in r.stderr and "Traceback" not in r.stderr
    r = tuicrm(base, "report", "funnel", "-o", str(tmp_path))
    assert r.returncode == 2 and "is a directory" in r.stderr
    r = tuicrm(base, "report", "funnel", "--format", "xlsx")
    assert r.returncode == 2 and "needs -o" in r.stderr


def test_list_and_target(base):
    r = tuicrm(base, "report", "--list")
    assert r.returncode == 0 and "[2] Nov wins: winloss, 2026-11" in r.stdout
    r = tuicrm(base, "report-target", "ann", "2026-11", "100000")
    assert r.returncode == 0, r.stderr
    r = tuicrm(base, "report", "forecast", "--period", "2026-11", "--format", "json", "--tz", "UTC")
    data = json.loads(r.stdout)
    ann = next(row for row in data["tables"][0]["rows"] if row[0] == "Ann Antonova")
    assert ann[4:7] == [123456.0, 100000.0, 1.2346]
    r = tuicrm(base, "report-target", "ann", "Nov", "1")
    assert r.returncode == 2 and "not a month" in r.stderr
