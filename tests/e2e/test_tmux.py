"""End to end in a real terminal: the installed tuicrm in tmux at 80×24, a search typed with
send-keys, the screen read with capture-pane (polled, never a blind sleep)."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import time
import uuid

import pytest

pytestmark = [pytest.mark.tmux, pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")]


SEED = """
import sys
from tuicrm.config import Settings
from tuicrm.session import open_session
from tuicrm.services import contacts
s = open_session(sys.argv[1], Settings(language="en"), user="tester")
a = s.actor
c = contacts.create_company(a, "ООО «Ромашка»", inn="7701234567", phones=["8 (495) 700-10-20"])
contacts.create_person(a, full_name="Иванов Пётр Сергеевич", position="Бухгалтер", company_id=c, phones=["8 916 1234567"])
contacts.create_person(a, full_name="Петрова Анна", company_id=c, phones=["+7 903 765-43-21"])
contacts.create_person(a, full_name="Сидоров Олег", phones=["+7 926 555-00-11"])
"""


class Tmux:
    def __init__(self) -> None:
        self.socket = f"tuicrm-e2e-{uuid.uuid4().hex[:8]}"

    def run(self, *args: str, check: bool = True) -> str:
        out = subprocess.run(["tmux", "-L", self.socket, *args], capture_output=True, text=True, timeout=20)
        if check and out.returncode != 0:
            raise AssertionError(f"tmux {' '.join(args)}: {out.stderr}")
        return out.stdout

    def screen(self) -> str:
        return self.run("capture-pane", "-p", "-t", "app")

    def wait_for(self, text: str, timeout: float = 30.0) -> str:
        end = time.monotonic() + timeout
        screen = ""
        while time.monotonic() < end:
            screen = self.screen()
            if text in screen:
                return screen
            time.sleep(0.05)
        raise AssertionError(f"{text!r} never appeared; the screen:\n{screen}")

    def kill(self) -> None:
        self.run("kill-server", check=False)


@pytest.fixture
def tmux():
    t = Tmux()
    yield t
    t.kill()


def test_search_in_a_real_terminal_80x24(tmp_path, tmux):
    db = tmp_path / "crm.db"
    env = {**os.environ, "TUICRM_CONFIG": str(tmp_path / "config.toml"), "TUICRM_DATA_DIR": str(tmp_path / "data")}
    subprocess.run([sys.executable, "-c", SEED, f"sqlite:///{db}"], check=True, env=env, timeout=60)
    command = " ".join(shlex.quote(x) for x in [sys.executable, "-m", "tuicrm", "--db", f"sqlite:///{db}", "--user", "tester", "--lang", "en"])
    for attempt in range(5):  # a just-killed server can refuse the first new-session
        try:
            tmux.run("new-session", "-d", "-s", "app", "-x", "80", "-y", "24",
                     "-e", f"TUICRM_CONFIG={env['TUICRM_CONFIG']}", "-e", f"TUICRM_DATA_DIR={env['TUICRM_DATA_DIR']}",
                     command)
            break
        except AssertionError:
            if attempt == 4:
                raise
            time.sleep(0.2)
    tmux.run("set-option", "-t", "app", "remain-on-exit", "on")
    first = tmux.wait_for("Сидоров Олег")
    lines = first.splitlines()
    assert len(lines) <= 24 and all(len(line) <= 80 for line in lines)
    assert "tuicrm" in lines[0] and "tester" in lines[0]  # header: base, user, date
    assert "Иванов Пётр" in first and "Persons · by name" in first
    tmux.wait_for("Persons/companies")  # the footer: the list's keys (it has the focus)

    tmux.run("send-keys", "-t", "app", "/")
    tmux.wait_for("Clear search")  # the search box has the focus (its keys are in the footer)
    tmux.run("send-keys", "-t", "app", "-l", "+7 (916) 123-45-67")
    found = tmux.wait_for("Found: 1")
    assert "Иванов Пётр Сергеевич" in found and "Петрова" not in found
    tmux.run("send-keys", "-t", "app", "Enter")
    card = tmux.wait_for("Бухгалтер")  # the card loaded (fields come from a worker)
    assert "History" in card and "8 (916) 123-45-67" in card and "ООО «Ромашка»" in card

    tmux.run("send-keys", "-t", "app", "C-q")
    end = time.monotonic() + 15
    while time.monotonic() < end:
        if tmux.run("list-panes", "-t", "app", "-F", "#{pane_dead}").strip() == "1":
            break
        time.sleep(0.05)
    else:
        raise AssertionError("tuicrm did not quit on ctrl+q:\n" + tmux.screen())
