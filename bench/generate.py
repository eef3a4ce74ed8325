#!/usr/bin/env python
"""Generate the "large" base of PRODUCT.md into SQLite or PostgreSQL.

    python bench/generate.py --db sqlite:///bench/data/large.db [--scale 1.0] [--seed 1] [--replace]
    python bench/generate.py --db postgresql://user@host:port/db --scale 0.01

At scale 1.0: 50,000 companies, 200,000 persons, ~400,000 phones (mixed formats, ~2 % invalid),
50,000 deals (thousands open, with stage history), 2,000,000 activities over two years for 30
managers (open ones today, tomorrow and overdue for each), emails, tags, notes and the search
index (SearchToken rows exactly as services.contacts.reindex_* makes them).

Rows go in through raw multi-row INSERTs in chunks, one transaction per chunk; secondary
indexes are dropped during the load and rebuilt at the end; phones are parsed with
services.phones; Person/Company.last_contact_at/next_activity_at are computed in SQL at the end.
Users: ``demo`` (head: sees everything), ``admin``, ``manager01``…``managerNN``.

The target must be empty (or pass ``--replace``: a SQLite file is deleted first, a PostgreSQL
base has its tuicrm tables dropped). While loading, SQLite runs without a journal: an interrupted
run leaves a broken file — run it again with --replace.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import sys
import time
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.common import BulkWriter, sql_value  # noqa: E402

PROFILE = {  # scale 1.0
    "companies": 50_000,
    "persons": 200_000,
    "phones": 400_000,
    "deals": 50_000,
    "activities": 2_000_000,
    "managers": 30,
    "notes": 50_000,
}
ZONE = ZoneInfo("Europe/Moscow")
DAYS_BACK = 730


def _n(name: str, scale: float, minimum: int = 1) -> int:
    return max(minimum, round(PROFILE[name] * scale))


class Clock:
    """Working-hour timestamps as stored strings, cached per minute."""

    def __init__(self, now: dt.datetime):
        self.now = now
        self.today = now.replace(tzinfo=dt.timezone.utc).astimezone(ZONE).date()
        self.cache: dict[tuple[int, int], str] = {}
        self.workdays = []  # days back (>= 1) that are weekdays
        for back in range(1, DAYS_BACK + 1):
            if (self.today - dt.timedelta(days=back)).weekday() < 5:
                self.workdays.append(back)

    def utc(self, day: dt.date, minute_of_day: int) -> dt.datetime:
        local = dt.datetime(day.year, day.month, day.day, tzinfo=ZONE) + dt.timedelta(minutes=minute_of_day)
        return local.astimezone(dt.timezone.utc).replace(tzinfo=None)

    def stamp(self, offset_days: int, minute_of_day: int) -> str:
        """'YYYY-MM-DD HH:MM:SS' (UTC) of a local wall time ``offset_days`` from today."""
        key = (offset_days, minute_of_day)
        s = self.cache.get(key)
        if s is None:
            s = sql_value(self.utc(self.today + dt.timedelta(days=offset_days), minute_of_day))
            self.cache[key] = s
        return s


def _drop_all(db) -> None:
    from tuicrm.db.schema import SchemaVersion
    from tuicrm.model import ALL_MODELS

    db.drop_tables(list(reversed(ALL_MODELS)) + [SchemaVersion], safe=True, cascade=True)


def generate(url: str, *, scale: float = 1.0, seed: int = 1, replace: bool = False, log=print) -> dict:
    """Fill the base at ``url``; return {"tables": {name: [rows, seconds]}, "total_s": …, …}."""
    import peewee

    from tuicrm.db.connection import close_database, open_database, sqlite_path
    from tuicrm.db.schema import ensure_schema
    from tuicrm.model import (
        Activity, Company, CompanyTag, Competitor, Deal, Email, LossReason, Note, Person, PersonTag, Phone,
        SearchToken, StageChange, Tag, User, utcnow,
    )
    from tuicrm.services import deals as deal_svc
    from tuicrm.services import demo as D
    from tuicrm.services import phones as phone_svc
    from tuicrm.services.base import search_key, tokens
    from tuicrm.model.enums import ActivityKind, PhoneKind, StageKind

    t_start = time.perf_counter()
    path = sqlite_path(url)
    if replace and path is not None:
        close_database()
        for suffix in ("", "-wal", "-shm", "-journal"):
            p = Path(f"{path}{suffix}")
            if p.exists():
                p.unlink()
    db = open_database(url)
    is_pg = isinstance(db, peewee.PostgresqlDatabase)
    if replace and is_pg:
        _drop_all(db)
    ensure_schema()
    deal_svc.seed_defaults("ru")
    if Person.select().exists() or Company.select().exists():
        close_database()
        raise SystemExit(f"{url}: the base is not empty; pass --replace to overwrite it")
    from tuicrm.db import activity_summary

    # the activity_day summary's triggers would run for each of the 2M activity rows: off for the
    # load (PostgreSQL's replica mode skips them anyway), the summary rebuilt in one GROUP BY after
    activity_summary.drop_triggers(db)

    big = [Company, Person, Phone, Email, SearchToken, PersonTag, CompanyTag, Deal, StageChange, Activity, Note]
    if not is_pg:
        db.execute_sql("PRAGMA foreign_keys = OFF")
        db.execute_sql("PRAGMA journal_mode = OFF")
        db.execute_sql("PRAGMA synchronous = OFF")
        db.execute_sql("PRAGMA cache_size = -400000")
    replica = False
    if is_pg:
        # foreign-key triggers off while loading (our rows are consistent by construction);
        # needs a superuser — otherwise they stay on and the load is slower
        try:
            with db.atomic():
                db.execute_sql("SET session_replication_role = replica")
            replica = True
        except peewee.DatabaseError:
            log("  (not a superuser: foreign-key checks stay on during the load)")
    for m in big:
        m._schema.drop_indexes(safe=True)

    rng = random.Random(seed)
    now = utcnow()
    clock = Clock(now)
    now_s = sql_value(now)
    w = BulkWriter(db)
    stats: dict[str, list] = {}

    def load(name, model, cols, rows):
        t0 = time.perf_counter()
        n = w.insert(model, cols, rows)
        secs = time.perf_counter() - t0
        prev = stats.get(name, [0, 0.0])
        stats[name] = [prev[0] + n, prev[1] + secs]
        log(f"  {name:<14} {n:>9,} rows  {secs:7.1f} s  {n / secs if secs else 0:>9,.0f} rows/s")
        return n

    n_comp = _n("companies", scale)
    n_pers = max(_n("persons", scale), n_comp)
    n_mgr = _n("managers", scale, 2)
    n_deals = _n("deals", scale)
    n_act = _n("activities", scale, 50)
    n_notes = _n("notes", scale)
    log(f"generating into {url}: scale {scale}, seed {seed}")

    # --- users --------------------------------------------------------------------------------
    User.delete().execute()
    users = [("demo", "Ольга Белова", "head"), ("admin", "Администратор", "admin")]
    for i in range(n_mgr):
        g, last, first, _m = "m" if i % 2 else "f", rng.choice(D.LAST_NAMES), None, None
        first = rng.choice(D.MALE_FIRST if g == "m" else D.FEMALE_FIRST)
        users.append((f"manager{i + 1:02d}", f"{first} {last if g == 'm' else last + 'а'}", "manager"))
    load("users", User, ["id", "login", "name", "role", "timezone", "daily_call_target"],
         [(i + 1, login, name, role, "Europe/Moscow", 30) for i, (login, name, role) in enumerate(users)])
    managers = list(range(3, 3 + n_mgr))  # user ids
    head_id = 1

    # --- companies -----------------------------------------------------------------------------
    comp_owner = [0] * (n_comp + 1)
    comp_name = [""] * (n_comp + 1)
    comp_tokens: list[list[str]] = [[]] * (n_comp + 1)
    comp_domain: list[str | None] = [None] * (n_comp + 1)
    comp_area: list[list[str]] = [[]] * (n_comp + 1)
    comp_main: list[str] = [""] * (n_comp + 1)
    suffixes = ["", "", "", " Плюс", "-М", " Групп", "-Регион", " Центр", " Сервис", "-Юг", "-Север"]

    def companies():
        for cid in range(1, n_comp + 1):
            form = D._weighted(rng, D.LEGAL_FORMS)
            city, region_text, region, postal, areas = rng.choice(D.CITIES)
            if form == "ИП":
                last = rng.choice(D.LAST_NAMES)
                first, pat = rng.choice(D.MALE_FIRST), rng.choice(D.PATRONYMICS)[0]
                name = f"ИП {last} {first[0]}.{pat[0]}."
                root = D.translit(last)
                inn, kpp = D.inn12(rng, region), None
            else:
                stem = rng.choice(D.NAME_HEADS) + rng.choice(D.NAME_TAILS).lower()
                stem += rng.choice(suffixes)
                name = f"{form} «{stem}»" + (f" ({city})" if rng.random() < 0.2 else "")
                root = D.translit(stem.replace(" ", "-"))
                inn = D.inn10(rng, region)
                kpp = inn[:4] + "01001"
            site = f"{root}{cid}.ru" if rng.random() < 0.6 else None
            owner = managers[cid % n_mgr] if cid % 50 else head_id
            comp_owner[cid] = owner
            comp_name[cid] = name
            comp_tokens[cid] = tokens(name)
            comp_domain[cid] = site
            comp_area[cid] = areas
            address = f"{postal}{rng.randint(0, 10 ** (6 - len(postal)) - 1):0{6 - len(postal)}d}, {region_text}, {rng.choice(D.STREETS)}, д. {rng.randint(1, 150)}"
            created = clock.stamp(-rng.choice(clock.workdays), 600)
            yield (cid, name, search_key(name), form, inn, kpp, address, site, rng.choice(D.INDUSTRIES),
                   D._weighted(rng, D.SEGMENTS), rng.choice(D.SOURCES), owner,
                   "private" if rng.random() < 0.03 else "shared", owner, created, created)

    load("companies", Company, ["id", "name", "name_key", "legal_form", "inn", "kpp", "address", "site", "industry",
                                "segment", "source", "owner_id", "visibility", "created_by_id", "created_at", "updated_at"],
         companies())

    # --- persons -------------------------------------------------------------------------------
    with_company = min(n_pers, max(n_comp, int(n_pers * 0.9)))
    pers_company = [None] * (n_pers + 1)
    pers_owner = [0] * (n_pers + 1)
    pers_names: list[tuple[str, str, str]] = [("", "", "")] * (n_pers + 1)
    token_rows: list[tuple] = []

    def persons():
        for pid in range(1, n_pers + 1):
            cid = ((pid - 1) % n_comp) + 1 if pid <= with_company else None
            if rng.random() < 0.5:
                last, first, middle = rng.choice(D.LAST_NAMES), rng.choice(D.MALE_FIRST), rng.choice(D.PATRONYMICS)[0]
            else:
                last, first, middle = rng.choice(D.LAST_NAMES) + "а", rng.choice(D.FEMALE_FIRST), rng.choice(D.PATRONYMICS)[1]
            full = f"{last} {first} {middle}"
            owner = comp_owner[cid] if cid else managers[pid % n_mgr]
            pers_company[pid] = cid
            pers_owner[pid] = owner
            pers_names[pid] = (last, first, middle)
            if cid is None:
                position = None
            elif pid <= n_comp:
                position = rng.choice(D.DIRECTORS)
            else:
                position = D._weighted(rng, D.POSITIONS)
            birthday = f"{rng.randint(1960, 2000)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}" if rng.random() < 0.3 else None
            created = clock.stamp(-rng.choice(clock.workdays), 660)
            yield (pid, last, first, middle, full, search_key(full), position, cid, birthday, rng.choice(D.SOURCES), owner,
                   "private" if cid is None and rng.random() < 0.2 else "shared", owner, created, created)

    load("persons", Person, ["id", "last_name", "first_name", "middle_name", "full_name", "name_key", "position",
                             "company_id", "birthday", "source", "owner_id", "visibility", "created_by_id",
                             "created_at", "updated_at"], persons())

    # --- search tokens (as services.contacts.reindex_company / reindex_person) -------------------
    def search_tokens():
        for cid in range(1, n_comp + 1):
            for word in comp_tokens[cid]:
                yield (word, "c", cid)
        for pid in range(1, n_pers + 1):
            last, first, middle = pers_names[pid]
            for word in tokens(f"{last} {first} {middle}"):  # its name's words only (schema version 5)
                yield (word, "p", pid)

    load("search tokens", SearchToken, ["token", "kind", "ref_id"], search_tokens())

    # --- phones (parsed with services.phones; cache repeated cells) -------------------------------
    parse_cache: dict[str, list] = {}
    invalid_shapes = [
        lambda: f"{rng.randint(100, 999)}-{rng.randint(10, 99)}-{rng.randint(10, 99)}",
        lambda: f"8 9{rng.randint(10, 99)} {rng.randint(100, 999)}",
        lambda: f"+7 ({rng.randint(900, 999)}) {rng.randint(10, 99)}-{rng.randint(10, 99)}-{rng.randint(1, 9)}",
        lambda: f"8 (495) {rng.randint(10, 99)}-{rng.randint(10, 99)}",
        lambda: "уточнить у секретаря",
    ]
    target_phones = _n("phones", scale)
    per_person = max(0.0, (target_phones - n_comp) / n_pers)  # average phones per person

    def number(codes):
        return rng.choice(codes) + str(rng.randint(2_000_000, 9_899_999))

    def phone_rows(raw, kind, pid, cid, start):
        parsed = parse_cache.get(raw)
        if parsed is None:
            parsed = phone_svc.parse_cell(raw)
            if len(parse_cache) < 200_000:
                parse_cache[raw] = parsed
        for i, p in enumerate(parsed):
            yield (pid, cid, p.raw[:500], p.e164, p.extension, p.digits_rev[:40],
                   kind or p.kind or (PhoneKind.MOBILE if p.is_valid else PhoneKind.OTHER), p.is_valid, p.reason,
                   (p.note or None) and p.note[:200], start + i == 0, start + i, now_s)

    def phones():
        for cid in range(1, n_comp + 1):
            main = number(comp_area[cid])
            comp_main[cid] = main
            yield from phone_rows(D.office_raw(rng, main, None), "work", None, cid, 0)
        extra = per_person - 1.0
        for pid in range(1, n_pers + 1):
            cid = pers_company[pid]
            count = 1 + int(extra) + (rng.random() < extra - int(extra))
            pos = 0
            for k in range(count):
                r = rng.random()
                if r < 0.02:
                    raw, kind = invalid_shapes[rng.randrange(len(invalid_shapes))](), None
                elif k > 0 and cid and r < 0.6:
                    raw, kind = D.office_raw(rng, comp_main[cid], str(rng.randint(10, 499)) if rng.random() < 0.7 else None), "work"
                else:
                    raw, kind = D.mobile_raw(rng, number(D.MOBILE_CODES), pers_names[pid][1]), None
                for row in phone_rows(raw, kind, pid, None, pos):
                    pos += 1
                    yield row

    load("phones", Phone, ["person_id", "company_id", "raw", "e164", "extension", "digits_rev", "kind", "is_valid",
                           "invalid_reason", "note", "is_primary", "position", "created_at"], phones())
    parse_cache.clear()

    # --- emails ------------------------------------------------------------------------------------
    translit_cache: dict[str, str] = {}

    def tr(word):
        s = translit_cache.get(word)
        if s is None:
            s = translit_cache[word] = D.translit(word)
        return s

    def emails():
        for cid in range(1, n_comp + 1):
            if comp_domain[cid]:
                a = f"info@{comp_domain[cid]}"
                yield (None, cid, a, a.lower(), "work", True, True, 0, now_s)
        for pid in range(1, n_pers + 1):
            if rng.random() < 0.6:
                last, first, _m = pers_names[pid]
                cid = pers_company[pid]
                if cid and comp_domain[cid]:
                    a = f"{tr(first)[0]}.{tr(last)}@{comp_domain[cid]}"
                    kind = "work"
                else:
                    a = f"{tr(first)}.{tr(last)}{pid % 1000}@{D.FREE_MAIL[pid % len(D.FREE_MAIL)]}"
                    kind = "personal"
                yield (pid, None, a, a.lower(), kind, True, True, 0, now_s)

    load("emails", Email, ["person_id", "company_id", "address", "address_lower", "kind", "is_valid", "is_primary",
                           "position", "created_at"], emails())

    # --- tags ----------------------------------------------------------------------------------------
    tag_names = D.COMPANY_TAGS + D.PERSON_TAGS + ["Частный клиент", "Опт", "Розница", "Регионы", "Москва", "Тендер 44-ФЗ",
                                                   "Новый", "Спящий", "Должник", "Ключевой"]
    tag_names = list(dict.fromkeys(tag_names))
    load("tags", Tag, ["id", "name", "name_key"], [(i + 1, t, search_key(t)) for i, t in enumerate(tag_names)])
    nt = len(tag_names)
    load("person tags", PersonTag, ["person_id", "tag_id"],
         ((pid, rng.randint(1, nt)) for pid in range(1, n_pers + 1) if rng.random() < 0.2))
    load("company tags", CompanyTag, ["company_id", "tag_id"],
         ((cid, rng.randint(1, nt)) for cid in range(1, n_comp + 1) if rng.random() < 0.3))

    # --- deals and their stage history -------------------------------------------------------------
    pipeline = deal_svc.default_pipeline()
    stage_list = deal_svc.stages(pipeline.id)
    open_ids = [s.id for s in stage_list if s.kind == StageKind.OPEN]
    won_id = next(s.id for s in stage_list if s.kind == StageKind.WON)
    lost_id = next(s.id for s in stage_list if s.kind == StageKind.LOST)
    reasons = [(r.id, r.needs_competitor) for r in LossReason.select().order_by(LossReason.position)]
    comp_names = [c[0] for c in D.COMPETITORS] + ["СтройИнвест", "ТехноЛайн", "РосПоставка", "Гарант-Опт", "Вектор Плюс",
                                                  "ПромСнаб", "Оптима", "ЕвроТорг", "СибРесурс", "Уралкомплект"]
    load("competitors", Competitor, ["id", "name"], [(i + 1, n) for i, n in enumerate(comp_names)])
    n_competitors = len(comp_names)
    deal_of_person: dict[int, int] = {}
    changes: list[tuple] = []

    def deals_rows():
        for did in range(1, n_deals + 1):
            if with_company < n_pers and rng.random() < 0.05:  # a private client
                pid = rng.randint(with_company + 1, n_pers)
                cid = None
            else:
                cid = rng.randint(1, n_comp)
                pid = cid  # the company's first person (its director)
            owner = comp_owner[cid] if cid else pers_owner[pid]
            if pid:
                deal_of_person.setdefault(pid, did)
            topic, lo, hi = rng.choice(D.DEAL_TOPICS)
            amount = rng.randrange(lo, hi, 1000) * 100
            r = rng.random()
            final = "open" if r < 0.16 else ("won" if r < 0.56 else "lost")
            start_back = rng.randint(20, DAYS_BACK) if final != "open" else rng.randint(2, 200)
            last_open = rng.randrange(len(open_ids))
            path = [open_ids[i] for i in range(last_open + 1)]
            if last_open >= 2 and rng.random() < 0.15:
                path = path + [open_ids[last_open - 1], open_ids[last_open]]
            if final == "won":
                path.append(won_id)
            elif final == "lost":
                path.append(lost_id)
            span = start_back - 1
            prev = None
            stamp = None
            for i, stage in enumerate(path):
                back = start_back - (span * i) // max(len(path), 1)
                entered = stamp  # the previous change's time (stamps rise along the path): StageChange.entered_at
                stamp = clock.stamp(-back, 540 + (i * 37) % 480)
                changes.append((did, prev, stage, owner, stamp, entered))
                prev = stage
            created = clock.stamp(-start_back, 540)
            loss, competitor = None, None
            if final == "lost":
                loss, needs = reasons[rng.randrange(len(reasons))]
                competitor = rng.randint(1, n_competitors) if needs or rng.random() < 0.2 else None
            closed = stamp if final != "open" else None
            expected = (clock.today + dt.timedelta(days=rng.randint(-20, 90))).isoformat()
            title = f"{topic} — {comp_name[cid]}" if cid else topic
            yield (did, title, search_key(title), pipeline.id, path[-1], pid, cid, amount, "RUB", owner, expected,
                   stamp, closed, loss, competitor, rng.choice(D.SOURCES), did, created, stamp)

    load("deals", Deal, ["id", "title", "title_key", "pipeline_id", "stage_id", "person_id", "company_id", "amount_minor",
                         "currency", "owner_id", "expected_close", "stage_entered_at", "closed_at", "loss_reason_id",
                         "competitor_id", "source", "position", "created_at", "updated_at"], deals_rows())
    load("stage changes", StageChange, ["deal_id", "from_stage_id", "to_stage_id", "user_id", "changed_at", "entered_at"], changes)
    changes.clear()

    # --- activities ---------------------------------------------------------------------------------
    kinds = [(ActivityKind.CALL_OUT, 55), (ActivityKind.CALL_IN, 15), (ActivityKind.EMAIL, 12), (ActivityKind.MEETING, 8),
             (ActivityKind.TASK, 7), (ActivityKind.LETTER, 2), (ActivityKind.FAX, 1)]
    kind_pool = [k.value for k, wgt in kinds for _ in range(wgt)]
    outcome_pool = [o.value for o, wgt in D.OUTCOME_WEIGHTS for _ in range(wgt)]
    results = {o.value: v for o, v in D.RESULTS.items()}
    workdays = clock.workdays
    n_wd = len(workdays)
    tomorrow = 1
    while (clock.today + dt.timedelta(days=tomorrow)).weekday() >= 5:
        tomorrow += 1
    yesterday = workdays[0]
    planned_per_mgr = [(-yesterday, 4), (0, 12), (tomorrow, 12)]
    n_planned = sum(c for _o, c in planned_per_mgr) * n_mgr
    n_open_random = max(0, int(n_act * 0.012))
    n_done = max(0, n_act - n_planned - n_open_random)
    by_mgr: dict[int, list[int]] = {}
    for pid in range(1, min(n_pers, 20000) + 1):
        by_mgr.setdefault(pers_owner[pid], []).append(pid)

    def links():
        if rng.random() < 0.08:
            cid = rng.randint(1, n_comp)
            return None, cid, comp_owner[cid], None
        pid = rng.randint(1, n_pers)
        deal = deal_of_person.get(pid) if rng.random() < 0.4 else None
        return pid, pers_company[pid], pers_owner[pid], deal

    def activity_rows():
        rand = rng.random
        for _ in range(n_done):
            pid, cid, owner, deal = links()
            kind = kind_pool[int(rand() * 100)]
            back = workdays[int(rand() * n_wd)]
            minute = 540 + int(rand() * 540)
            due = clock.stamp(-back, minute)
            if kind in ("call_out", "call_in"):
                outcome = "reached" if kind == "call_in" else outcome_pool[int(rand() * 100)]
                res = results[outcome]
                result = res[int(rand() * len(res))]
                subject = D.CALL_SUBJECTS[int(rand() * len(D.CALL_SUBJECTS))] if kind == "call_out" else D.INCOMING[int(rand() * len(D.INCOMING))]
                duration = int(rand() * 15) + 1 if outcome == "reached" else None
                done = due
            elif kind == "meeting":
                subject, result = D.MEETINGS[int(rand() * len(D.MEETINGS))]
                outcome, duration = "reached", 60
                done = clock.stamp(-back, min(minute + 60, 1439))
            elif kind == "task":
                subject, result, outcome, duration, done = D.TASKS[int(rand() * len(D.TASKS))], "Сделано.", None, None, due
            else:
                subject, result = D.EMAILS[int(rand() * len(D.EMAILS))]
                outcome, duration, done = "other", None, due
            yield (kind, subject, due, duration, done, outcome, result, pid, cid, deal, owner, owner, due, done)
        for _ in range(n_open_random):
            pid, cid, owner, deal = links()
            kind = "call_out" if rand() < 0.7 else "task"
            offset = int(rand() * 40) - 5
            due = clock.stamp(offset, 540 + int(rand() * 540))
            subject = D.CALL_SUBJECTS[int(rand() * len(D.CALL_SUBJECTS))] if kind == "call_out" else D.TASKS[int(rand() * len(D.TASKS))]
            yield (kind, subject, due, None, None, None, None, pid, cid, deal, owner, owner, now_s, now_s)
        for mgr in managers:
            mine = by_mgr.get(mgr) or [1]
            for offset, count in planned_per_mgr:
                for j in range(count):
                    pid = mine[int(rand() * len(mine))]
                    kind = "call_out" if j % 4 else "task"
                    subject = D.CALL_SUBJECTS[j % len(D.CALL_SUBJECTS)] if kind == "call_out" else D.TASKS[j % len(D.TASKS)]
                    due = clock.stamp(offset, 540 + j * 30)
                    yield (kind, subject, due, None, None, None, None, pid, pers_company[pid], deal_of_person.get(pid), mgr, mgr,
                           now_s, now_s)

    load("activities", Activity, ["kind", "subject", "due_at", "duration_min", "done_at", "outcome", "result", "person_id",
                                  "company_id", "deal_id", "assignee_id", "author_id", "created_at", "updated_at"],
         activity_rows())

    # --- notes -----------------------------------------------------------------------------------------
    def notes():
        for _ in range(n_notes):
            pid = rng.randint(1, n_pers)
            stamp = clock.stamp(-workdays[rng.randrange(n_wd)], 600)
            yield (rng.choice(D.NOTES), pid, pers_company[pid], pers_owner[pid], stamp, stamp)

    load("notes", Note, ["text", "person_id", "company_id", "author_id", "created_at", "updated_at"], notes())

    # --- indexes, denormalized columns, sequences, statistics --------------------------------------------
    t0 = time.perf_counter()
    for m in big:
        m._schema.create_indexes(safe=True)
    stats["indexes"] = [0, time.perf_counter() - t0]
    log(f"  indexes rebuilt in {stats['indexes'][1]:.1f} s")

    t0 = time.perf_counter()
    for table, fk in (("person", "person_id"), ("company", "company_id")):
        with db.atomic():
            db.execute_sql(
                f'UPDATE "{table}" SET last_contact_at = a.last_at, next_activity_at = a.next_at '
                f'FROM (SELECT {fk} AS ref, MAX(done_at) AS last_at, '
                f'MIN(CASE WHEN done_at IS NULL THEN due_at END) AS next_at '
                f'FROM activity WHERE {fk} IS NOT NULL AND archived_at IS NULL GROUP BY {fk}) AS a '
                f'WHERE a.ref = "{table}".id'
            )
    stats["last/next"] = [0, time.perf_counter() - t0]

    t0 = time.perf_counter()
    with db.atomic():
        activity_summary.install_triggers(db)
        activity_summary.rebuild(db)
    stats["activity summary"] = [0, time.perf_counter() - t0]
    log(f"  activity summary built in {stats['activity summary'][1]:.1f} s")
    log(f"  last contact / next activity computed in {stats['last/next'][1]:.1f} s")

    t0 = time.perf_counter()
    if is_pg:
        if replica:
            db.execute_sql("SET session_replication_role = DEFAULT")
        for m in (User, Company, Person, Tag, Competitor, Deal):
            t = m._meta.table_name
            db.execute_sql(f"SELECT setval(pg_get_serial_sequence('\"{t}\"', 'id'), (SELECT COALESCE(MAX(id), 1) FROM \"{t}\"))")
        db.execute_sql("ANALYZE")
    else:
        db.execute_sql("ANALYZE")
        db.execute_sql("PRAGMA journal_mode = WAL")
        db.execute_sql("PRAGMA foreign_keys = ON")
    stats["analyze"] = [0, time.perf_counter() - t0]
    total = time.perf_counter() - t_start
    rows = sum(v[0] for v in stats.values())
    log(f"done: {rows:,} rows in {total:.1f} s ({rows / total:,.0f} rows/s overall)")
    close_database()
    return {"url": url, "scale": scale, "seed": seed, "total_s": total, "rows": rows, "tables": stats}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog=__doc__.split("\n\n", 1)[1])
    parser.add_argument("--db", required=True, help="sqlite:///path.db or postgresql://user@host:port/db")
    parser.add_argument("--scale", type=float, default=1.0, help="1.0 = the large profile; 0.01 for a small base")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--replace", action="store_true", help="delete the SQLite file / drop the tuicrm tables first")
    parser.add_argument("--stats-json", type=Path, default=None, help="also write the timings as JSON here")
    args = parser.parse_args(argv)
    if args.scale <= 0:
        parser.error("--scale must be positive")
    from tuicrm.db.connection import DatabaseUnavailable

    try:
        result = generate(args.db, scale=args.scale, seed=args.seed, replace=args.replace)
    except DatabaseUnavailable as exc:
        print(f"generate: {exc}", file=sys.stderr)
        return 2
    if args.stats_json:
        args.stats_json.write_text(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
