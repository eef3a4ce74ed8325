"""Shared data and polling helpers for the Contacts pane's Pilot and snapshot tests."""

from __future__ import annotations

import datetime as dt
import time

from tuicrm.model import Note
from tuicrm.services import activities, contacts, deals


async def until(pilot, cond, timeout: float = 8.0, what: str = "condition"):
    """Poll (never sleep blindly): let workers and messages run until ``cond()`` holds."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        await pilot.pause(0.02)
        try:
            if cond():
                return
        except Exception:  # noqa: BLE001 - widget not mounted yet
            pass
    raise AssertionError(f"timed out waiting for {what}")


def seed(actor, now: dt.datetime, *, extra_persons: int = 0) -> dict:
    """A small fixed base: a company with two people, a private client, history on Иванов."""
    company = contacts.create_company(actor, "ООО «Ромашка»", inn="7701234567", segment="retail", address="Москва, ул. Ленина, 1",
                                      phones=["8 (495) 700-10-20 доб. 12"], tags=["VIP"])
    ivanov = contacts.create_person(actor, full_name="Иванов Пётр Сергеевич", position="Бухгалтер", company_id=company,
                                    phones=["8 916 1234567", "12-34"], emails=["petr@romashka.ru"], tags=["VIP"])
    petrova = contacts.create_person(actor, full_name="Петрова Анна", position="Директор", company_id=company,
                                     phones=["+7 903 765-43-21"])
    sidorov = contacts.create_person(actor, full_name="Сидоров Олег", phones=["+7 926 555-00-11"])
    for i in range(extra_persons):
        contacts.create_person(actor, full_name=f"Клиент {i:03d}", phones=[f"+7 926 100-{i // 100:02d}-{i % 100:02d}"])
    activities.log_call(actor, outcome="reached", result="Wants an offer", person_id=ivanov, at=now - dt.timedelta(days=1, hours=2))
    activities.create_activity(actor, "call_out", "Call back about the offer", person_id=ivanov, due_at=now + dt.timedelta(days=1))
    deals.create_deal(actor, "Поставка 2027", amount_minor=150_000_000, person_id=ivanov, company_id=company,
                      created_at=now - dt.timedelta(days=3))
    Note.create(text="Prefers email", person=ivanov, author=actor.user_id, created_at=now - dt.timedelta(days=2))
    activities.log_call(actor, outcome="no_answer", person_id=petrova, at=now - dt.timedelta(hours=3))
    return {"company": company, "ivanov": ivanov, "petrova": petrova, "sidorov": sidorov}
