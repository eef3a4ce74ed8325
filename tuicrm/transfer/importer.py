"""Import a table of persons/companies/deals with duplicate detection, as one undoable batch.

Design
- One transaction per file (``write_tx``): a failed, cancelled or dry-run import leaves the base as
  it was. Inside it rows are processed in chunks: each chunk is matched against the base (which
  already holds the earlier chunks, so duplicates *within* the file are found the same way as
  duplicates against the base) and then written with ``insert_many``. Memory stays flat.
- Matching: companies by ИНН (+КПП), then by normalized name; persons by a normalized phone
  (E.164) or an email, then by name + company. A row matching several different cards is rejected
  as ambiguous rather than merged into the wrong one. Each chunk looks its keys up in the base with a
  few queries, or, for a big import into a smaller SQLite base, in memory (MEMO_NOTE).
- Policy: ``merge`` fills empty fields and adds new phones/emails/tags/notes, never overwrites a
  filled field (a different value is listed as a conflict); ``skip`` leaves matched cards alone;
  ``create`` makes new cards even when the base has a match (rows of one file still share a company).
- Every created card (person, company, deal, note) carries the batch in ``import_batch``; every
  merged card is an ImportItem(merged) whose ``before`` holds {field: [old, new]}; phones, emails
  and tag links added to cards that existed before the import, and the tags it created, are
  ImportItem(created) rows — ``undo.undo_batch`` reverses all of it. (Created cards have no
  ImportItem row: ``import_batch`` already names them, and 120,000 more rows were ≈ 5 % of a
  100,000-row import's writes.)
- Records are the same as the services make them: full_name/name_key, SearchToken rows, phones
  through ``services.phones.parse_cell`` with the columns ``contacts._phone_rows`` gives, audit rows.
"""

from __future__ import annotations

import bisect
import collections
import contextlib
import gc
import itertools
import json
import marshal
import os
import pickle
import sqlite3
import sys
import threading
import time
import dataclasses
import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import peewee

from tuicrm.db.connection import write_tx
from tuicrm import i18n
from tuicrm.i18n import N_, _
from tuicrm.model import (
    AuditLog,
    Company,
    CompanyTag,
    Deal,
    Email,
    ImportBatch,
    ImportItem,
    Note,
    Person,
    PersonTag,
    Phone,
    SearchToken,
    StageChange,
    Tag,
    utcnow,
)
from tuicrm.model.enums import ImportStatus, PhoneKind, StageKind
from tuicrm.services import phones as phone_svc
from tuicrm.services.base import _WORD, Actor, ServiceError, search_key, to_json
from tuicrm.services.contacts import compose_full_name, normalize_email, split_emails, split_full_name, split_tags
from tuicrm.transfer import mapping as mapping_mod
from tuicrm.transfer import presets, values
from tuicrm.transfer.readers import ReadError, Table, open_table

POLICIES = ("merge", "skip", "create")
MAX_PROBLEMS = 1000  # kept in the report (all are counted)
MAX_REJECTED_ROWS = 100_000  # kept for the rejected-rows file
SAMPLE_ROWS = 5
COMPANY_CARDS_MAX = 30_000  # company cards kept between chunks (bounded memory)
PHONE_CACHE_MAX = 50_000  # parsed cells kept for repeated numbers (company switchboards); bounded memory
KEY_CACHE_MAX = 50_000  # search keys / tokens of recurring texts (company names, tags)

PERSON_FILL = ("position", "birthday", "source", "owner")
COMPANY_FILL = ("inn", "kpp", "address", "site", "industry", "source", "owner")


class ImportCancelled(ServiceError):
    pass


class _DryRun(Exception):
    pass


@dataclass
class Problem:
    row: int
    kind: str  # rejected / ambiguous / warning / conflict
    message: str


@dataclass
class Prepared:
    """What the preview shows: the file, its header, the mapping and sample values per column."""

    path: Path
    sheet: str | None
    sheets: list[str]
    engine: str
    headers: list[str]
    mapping: list[str]
    preset: str | None
    samples: list[list[str]]  # per column: up to SAMPLE_ROWS values
    header_row: int
    total_rows: int | None
    encoding: str | None = None
    delimiter: str | None = None


@dataclass
class ImportReport:
    filename: str
    policy: str
    dry_run: bool
    batch_id: int | None = None
    rows_total: int = 0
    created: int = 0
    merged: int = 0
    unchanged: int = 0
    skipped: int = 0
    rejected: int = 0
    persons_created: int = 0
    persons_merged: int = 0
    companies_created: int = 0
    companies_merged: int = 0
    deals_created: int = 0
    phones_flagged: int = 0
    problems: list[Problem] = field(default_factory=list)
    problem_counts: dict[str, int] = field(default_factory=dict)
    rejected_rows: list[tuple[int, list, str]] = field(default_factory=list)
    rejected_file: str | None = None
    headers: list[str] = field(default_factory=list)
    mapping: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def imported_anything(self) -> bool:
        return self.rows_total > self.rejected

    def add(self, row: int, kind: str, message: str) -> None:
        self.problem_counts[kind] = self.problem_counts.get(kind, 0) + 1
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(Problem(row, kind, message))

    def to_json(self) -> str:
        return to_json({
            "rows_total": self.rows_total, "created": self.created, "merged": self.merged,
            "unchanged": self.unchanged, "skipped": self.skipped, "rejected": self.rejected,
            "persons_created": self.persons_created, "persons_merged": self.persons_merged,
            "companies_created": self.companies_created, "companies_merged": self.companies_merged,
            "deals_created": self.deals_created, "phones_flagged": self.phones_flagged,
            "problem_counts": self.problem_counts,
            "problems": [[p.row, p.kind, p.message] for p in self.problems],
        })


# --- preparing: header, mapping, samples ---------------------------------------------------------


def prepare(path: str | Path, *, sheet: str | None = None, preset: str | None = None, map_text: str | None = None,
            engine: str | None = None) -> Prepared:
    table = open_table(path, sheet, engine=engine, require_header=not (preset or map_text))
    try:
        headers = table.headers
        preset_name = preset
        if preset:
            mapping = presets.apply(preset, headers)
        else:
            preset_name = presets.detect(headers)
            mapping = presets.apply(preset_name, headers) if preset_name else mapping_mod.auto_mapping(headers)
        if map_text:
            try:
                mapping = mapping_mod.parse_map_option(map_text, headers, mapping)
            except mapping_mod.MappingError as exc:
                raise ServiceError(str(exc)) from exc
        samples: list[list[str]] = [[] for _ in headers]
        for n, (_row, cells) in enumerate(table.rows()):
            for i, c in enumerate(cells[: len(headers)]):
                if c is not None and len(samples[i]) < SAMPLE_ROWS:
                    samples[i].append(values.text(c, 60))
            if n >= 50 or all(len(s) >= SAMPLE_ROWS for s in samples):
                break
    finally:
        table.close()
    return Prepared(path=Path(path), sheet=table.sheet, sheets=table.sheets, engine=table.engine, headers=headers,
                    mapping=mapping, preset=preset_name, samples=samples, header_row=table.header_row,
                    total_rows=table.total_rows, encoding=table.encoding, delimiter=table.delimiter)


# --- one row -------------------------------------------------------------------------------------


@dataclass
class RowData:
    number: int
    cells: list
    full_name: str = ""
    last: str = ""
    first: str = ""
    middle: str = ""
    position: str | None = None
    birthday: object = None
    phones: list = field(default_factory=list)  # [(ParsedPhone, kind)]
    emails: list = field(default_factory=list)  # [(address, ok)]
    company: str = ""
    inn: str | None = None
    kpp: str | None = None
    address: str | None = None
    site: str | None = None
    industry: str | None = None
    company_phones: list = field(default_factory=list)
    company_emails: list = field(default_factory=list)
    owner_id: int | None = None
    tags: list = field(default_factory=list)
    source: str | None = None
    notes: list = field(default_factory=list)
    deal_title: str = ""
    deal_amount: int | None = None
    deal_stage: str = ""
    warnings: list = field(default_factory=list)
    name_key: str = ""  # search_key(full_name), computed once
    owner_names: list = field(default_factory=list)  # [(name, index of its warning)], resolved by _finish_row
    company_key: str = ""  # search_key(company)
    e164s: list = field(default_factory=list)  # the person's valid numbers (E.164), what it is matched by
    email_keys: list = field(default_factory=list)  # the person's addresses, lower case
    name_words: list = field(default_factory=list)  # the search words of the person's name (tokens(full_name))
    flagged: bool = False  # a phone of the row (the person's or the company's) is invalid or ambiguous

    @property
    def has_person(self) -> bool:
        return bool(self.full_name)


_ROW_FIELDS = tuple(f.name for f in dataclasses.fields(RowData))  # the order of a packed row (_pack)


class _Ctx:
    """State shared by the chunks of one import."""

    def __init__(self, actor: Actor, batch_id: int, policy: str, region: str, report: ImportReport):
        self.actor = actor
        self.batch_id = batch_id
        self.policy = policy
        self.region = region
        self.report = report
        self.prep = _Prep(region)
        self.company_cards: dict[int, "Card"] = {}
        self.owner_cache: dict[str, int | None] = {}
        self.tag_cache: dict[str, int] = {}
        self.tag_by_text: dict[str, int] = {}
        self.stage_cache: dict[str, int] | None = None
        self.default_stage: tuple[int, int, str] | None = None
        self.now = utcnow()
        # the value the driver gets for ``now``: on SQLite the text its datetime adapter makes
        # (isoformat with a space), converted once instead of once per inserted row
        sqlite = isinstance(_raw_db(), peewee.SqliteDatabase)
        self.now_db = self.now.isoformat(" ") if sqlite else self.now
        # the flags of the phone and e-mail rows as the driver takes them at no cost: on SQLite the
        # 0/1 a bool is stored as (a bool goes through the sqlite3 module's adapter registry, ≈ 1,800
        # instructions each: SQLITE_ADAPT_NOTE), on PostgreSQL the bool its boolean column needs
        self.flag = (0, 1) if sqlite else (False, True)
        # a birthday as the text the sqlite3 module's date adapter makes of it (isoformat), made here:
        # its adapter is a Python function, called through the adapter registry for each person
        self.iso_dates = sqlite
        self.key = self.prep.key  # search_key of texts that recur (company names, tags), cached
        self.memo: _Memo | None = None  # the lookups from memory (MEMO_NOTE)
        self.deferred: list[tuple[str, str]] = []  # indexes dropped for the import (_defer_indexes)
        self.cells_of: Callable[[int], list | None] | None = None  # the cells of a row the worker sent (CELLS_NOTE)

    def leave_memo(self) -> None:
        """Build the indexes the lookups read and answer them with queries from now on (MEMO_NOTE)."""
        self.memo = None
        _rebuild_indexes([d for d in self.deferred if d[0] in MEMO_INDEXES])
        self.deferred = [d for d in self.deferred if d[0] not in MEMO_INDEXES]

    def keep_company(self, card) -> None:
        if len(self.company_cards) >= COMPANY_CARDS_MAX:
            self.company_cards.clear()
        self.company_cards[card.id] = card

    def owner(self, name: str) -> int | None:
        key = search_key(name)
        if key not in self.owner_cache:
            from tuicrm.services.users import find_user

            u = find_user(name)
            self.owner_cache[key] = u.id if u else None
        return self.owner_cache[key]


class _Prep:
    """What reading a row needs besides the row: the phone and search-key caches of one process
    (the importing one, or the worker that prepares rows for it)."""

    def __init__(self, region: str):
        self.region = region
        self.phone_cache: dict[object, list] = {}
        self.key_cache: dict[str, str] = {}
        self.tags_cache: dict[object, tuple] = {}  # a tags cell → its tags: the same few cells on most rows
        self.plan_key: list | None = None
        self.plan_cells: list = []

    def phones(self, value: object, kind: str | None) -> list:
        hit = self.phone_cache.get(value)
        if hit is None:
            hit = [_phone_tuple(p) for p in phone_svc.parse_cell(value, self.region)]
            if len(self.phone_cache) > PHONE_CACHE_MAX:
                self.phone_cache.clear()
            self.phone_cache[value] = hit
        return [(p, kind) for p in hit]

    def plan(self, mapping: list[str]) -> list:
        """(column index, cell reader) of each mapped column of ``mapping``, in column order."""
        if self.plan_key != mapping:
            self.plan_key = list(mapping)
            self.plan_cells = [(i, _CELL_READERS.get(code, _cell_ignored)) for i, code in enumerate(mapping) if code]
        return self.plan_cells

    def key(self, text: str) -> str:
        k = self.key_cache.get(text)
        if k is None:
            if len(self.key_cache) > KEY_CACHE_MAX:
                self.key_cache.clear()
            k = self.key_cache[text] = search_key(text)
        return k


def _phone_tuple(p: phone_svc.ParsedPhone) -> tuple:
    """What the import needs of a parsed number (plain values: cheap to send between processes):
    (raw, e164, extension, digits_rev, kind, is_valid, reason, note) with the lengths and the default
    kind of ``contacts._phone_rows``."""
    return (p.raw, p.e164, p.extension, p.digits_rev[:40], p.kind or (_MOBILE if p.is_valid else _OTHER),
            p.is_valid, p.reason, (p.note or None) and p.note[:200])


_MOBILE, _OTHER = PhoneKind.MOBILE.value, PhoneKind.OTHER.value  # plain str: what marshal takes (SHIP_NOTE)


def _pack(r: RowData | str):
    """A prepared row as plain values (unpickling a tuple is several times cheaper than an object),
    its birthday as the date's ordinal (SHIP_NOTE)."""
    if isinstance(r, str):
        return r
    if r.birthday is not None:
        r.birthday = r.birthday.toordinal()
    t = tuple(r.__dict__.values())  # the fields in their order (RowData.__init__ sets them so)
    if len(t) != len(_ROW_FIELDS):  # pragma: no cover - an attribute added by hand: by name
        t = tuple([getattr(r, f) for f in _ROW_FIELDS])
    return t


# ROW_NOTE: a row the worker sent is read as the tuple it arrived as: ``_Row`` is a named tuple of
# RowData's fields, whose values the matching reads by name as it reads a RowData's. Building a
# RowData of each (a 35-entry __dict__) and freeing it took the importing process ≈ 0.3 s per
# 100,000 rows; a _Row is one copy of the tuple's pointers. The two fields the importing process
# sets or converts are not read from the tuple: ``owner_id`` (None from the worker; ``_finish_row``
# sets it, in the instance's own __dict__, made for the rows that have an owner) and ``birthday``
# (sent as the date's ordinal, SHIP_NOTE; the date is made when read).
_RowFields = collections.namedtuple("_RowFields", _ROW_FIELDS)
_BIRTHDAY_AT = _ROW_FIELDS.index("birthday")


class _Row(_RowFields):
    # no __slots__: an instance gets a __dict__ only when something sets owner_id on it
    owner_id = None  # shadows the tuple's field, always None from the worker (set by _finish_row)

    @property
    def birthday(self) -> dt.date | None:
        o = self[_BIRTHDAY_AT]
        return None if o is None else _from_ordinal(o)

    @property
    def has_person(self) -> bool:
        return bool(self.full_name)


def _unpack(t) -> _Row | str:
    if not isinstance(t, tuple):
        return t
    return _new_row(_Row, t)


_new_row = tuple.__new__
_from_ordinal = dt.date.fromordinal


# SHIP_NOTE: the worker's prepared rows travel marshalled: they are tuples, lists, str, int, bool and
# None only (a birthday as its ordinal, a phone's kind as plain str), and marshal.loads takes them
# in about half the time pickle.loads does (0.14 → 0.08 s for 20,000 rows of the bench file), in the
# importing process, the one the import waits for. A value marshal does not take (a subclass of str
# or int, say) sends that chunk pickled instead: the first byte says which.
def _ship(prepared: list) -> bytes:
    try:
        return b"M" + marshal.dumps(prepared)
    except ValueError:
        return b"P" + pickle.dumps(prepared, protocol=pickle.HIGHEST_PROTOCOL)


def _unship(blob: bytes) -> list:
    body = memoryview(blob)[1:]
    return marshal.loads(body) if blob[:1] == b"M" else pickle.loads(body)


def _prepare_rows(prep: _Prep, raw_rows: list, mapping: list[str], keep_cells: bool = True) -> list:
    """RowData (or the reason the row is rejected) of each row: all of a row's work that does not
    read the base (cells to values, phones, emails, names, search keys). Pure, so big files run it
    in a worker process on the second core; ``_finish_row`` adds the rest in the importing one.
    Without ``keep_cells`` (in the worker) a row is packed (``_pack``, without its cells) and a
    rejected one is [number, reason]."""
    out = []
    for number, cells in raw_rows:
        r = _parse_row(prep, number, cells, mapping)
        if not keep_cells:  # packed, without the cells (see CELLS_NOTE)
            if isinstance(r, str):
                r = [number, r]
            else:
                r.cells = None
                r = _pack(r)
        out.append(r)
    return out


def _finish_row(ctx: "_Ctx", r: RowData) -> None:
    """The part of reading a row that needs the base (owners) or the report (flagged phones)."""
    if r.owner_names:
        shift = 0
        for name, at in r.owner_names:  # each owner column in turn, its warning where _parse_row had it
            r.owner_id = ctx.owner(name)
            if r.owner_id is None:
                r.warnings.insert(at + shift, _("no user {name!r}; the card is yours").format(name=name))
                shift += 1
    if r.flagged:  # found by _parse_row (in the worker): most rows have none
        flagged = [p for p, _kind in r.phones + r.company_phones if not p[5]]
        ctx.report.phones_flagged += len(flagged)
        r.warnings.extend(_("phone {raw!r} kept as written: {reason}").format(raw=p[0][:60], reason=_(p[6] or "invalid"))
                          for p in flagged)


def _cell_phones(kind: str | None):
    def read(ctx: _Prep, r: RowData, value) -> None:
        r.phones.extend(ctx.phones(value, kind))
    return read


def _cell_company_phone(ctx: _Prep, r: RowData, value) -> None:
    r.company_phones.extend(ctx.phones(value, None))


def _cell_emails(company: bool):
    def read(ctx: _Prep, r: RowData, value) -> None:
        target = r.company_emails if company else r.emails
        for e in split_emails(value):
            address, ok = normalize_email(e)
            if address:
                target.append((address[:254], ok))
                if not ok:
                    r.warnings.append(_("email {value!r} does not look valid; kept as written").format(value=address[:60]))
    return read


def _cell_tags(ctx: _Prep, r: RowData, value) -> None:
    tags = ctx.tags_cache.get(value)
    if tags is None:
        if len(ctx.tags_cache) > KEY_CACHE_MAX:
            ctx.tags_cache.clear()
        tags = ctx.tags_cache[value] = tuple(split_tags(value))
    r.tags.extend(tags)


def _cell_note(ctx: _Prep, r: RowData, value) -> None:
    t = phone_svc.cell_to_text(value).strip()
    if t:
        r.notes.append(t[:20_000])


def _cell_birthday(ctx: _Prep, r: RowData, value) -> None:
    d, ok = values.to_date(value)
    if ok:
        r.birthday = d
    else:
        r.warnings.append(_("birthday {value!r} is not a date; left empty").format(value=values.text(value, 40)))


def _cell_tax_id(attr: str, lengths: tuple[int, ...], message: str):
    """A tax id (ИНН, КПП) of one of ``lengths`` digits, or the reason the row is rejected."""
    def read(ctx: _Prep, r: RowData, value) -> str | None:
        tid, ok = values.tax_id(value, lengths)
        if not ok:
            return _(message).format(value=values.text(value, 40))
        setattr(r, attr, tid)
        return None
    return read


def _cell_deal_amount(ctx: _Prep, r: RowData, value) -> None:
    amount, ok = values.money_minor(value)
    if ok:
        r.deal_amount = amount
    else:
        r.warnings.append(_("amount {value!r} is not a number; left at 0").format(value=values.text(value, 40)))


def _cell_owner(ctx: _Prep, r: RowData, value) -> None:
    name = values.text(value, 200)
    if name:
        r.owner_names.append((name, len(r.warnings)))


def _cell_text(attr: str, limit: int | None, empty_none: bool):
    """A text field: the cell's text (single-spaced), cut to ``limit``, None when empty if ``empty_none``."""
    text = values.text

    def read(ctx: _Prep, r: RowData, value) -> None:
        t = text(value)
        if limit is not None:
            t = t[:limit]
        setattr(r, attr, (t or None) if empty_none else t)
    return read


def _cell_ignored(ctx: _Prep, r: RowData, value) -> None:
    """A code no field reads (its text was computed and dropped)."""


_CELL_READERS = {
    **{code: _cell_phones(kind) for code, kind in mapping_mod.PHONE_FIELDS.items()},
    "company_phone": _cell_company_phone,
    "email": _cell_emails(False),
    "company_email": _cell_emails(True),
    "tags": _cell_tags,
    "note": _cell_note,
    "birthday": _cell_birthday,
    "inn": _cell_tax_id("inn", (10, 12), N_("tax id (ИНН) {value!r} must have 10 or 12 digits")),
    "kpp": _cell_tax_id("kpp", (9,), N_("KPP {value!r} must have 9 digits")),
    "deal_amount": _cell_deal_amount,
    "owner": _cell_owner,
    "full_name": _cell_text("full_name", 320, False),
    "last_name": _cell_text("last", 100, False),
    "first_name": _cell_text("first", 100, False),
    "middle_name": _cell_text("middle", 100, False),
    "position": _cell_text("position", 200, True),
    "company": _cell_text("company", 300, False),
    "address": _cell_text("address", None, True),
    "site": _cell_text("site", 300, True),
    "industry": _cell_text("industry", 200, True),
    "source": _cell_text("source", 200, True),
    "deal_title": _cell_text("deal_title", 300, False),
    "deal_stage": _cell_text("deal_stage", 200, False),
}


def _parse_row(ctx: _Prep, number: int, cells: list, mapping: list[str]) -> RowData | str:
    """The row's values by field, or the reason it is rejected (owners and flagged phones are
    added by ``_finish_row``)."""
    r = RowData(number, cells)
    n = len(cells)
    for i, read in ctx.plan(mapping):  # the mapped columns in order (as zip(cells, mapping) visits them)
        if i >= n:
            break
        value = cells[i]
        if value is None:
            continue
        reason = read(ctx, r, value)
        if reason is not None:
            return reason
    if r.full_name and not (r.last or r.first or r.middle):
        r.last, r.first, r.middle = split_full_name(r.full_name)
        r.last, r.first, r.middle = r.last[:100], r.first[:100], r.middle[:100]
    elif not r.full_name:
        r.full_name = compose_full_name(r.last, r.first, r.middle)[:320]
    if not r.full_name and not r.company:
        if r.phones or r.emails:
            return _("no name and no company: whose phone/email is it?")
        return _("no name and no company")
    if not r.full_name:  # a company row: the person columns belong to the company
        r.company_phones.extend(r.phones)
        r.company_emails.extend(r.emails)
        r.phones, r.emails = [], []
    if r.full_name:
        r.name_key = search_key(r.full_name)
        r.name_words = _key_tokens(r.name_key)
        r.e164s = [p[1] for p, _k in r.phones if p[1]]
        r.email_keys = [a.lower() for a, _ok in r.emails]
    if r.company:
        r.company_key = ctx.key(r.company)
    r.flagged = any(not p[5] for p, _kind in itertools.chain(r.phones, r.company_phones))
    return r


# --- cards being matched/created in one chunk ----------------------------------------------------


class Card:
    """A card a chunk matches rows to: found in the base, or new. __slots__: 20,000 company cards live
    across chunks (no __dict__ each, ≈ 20 MB). A plain class, not a dataclass: the generated
    __init__ (a dozen default factories, keyword parsing) cost ≈ 20 % more per card, and 100,000
    person cards are made per 100,000 rows; cards compare by identity (``list.remove`` of a card)."""

    __slots__ = ("kind", "id", "new", "fresh", "fields", "changes", "before", "phones", "emails", "tags", "notes",
                 "have_e164", "have_raw", "have_email", "have_tags", "have_notes", "phone_pos", "email_pos", "company",
                 "touched", "rev", "key", "words")

    def __init__(self, kind: str, id: int | None = None, new: bool = True, fresh: bool = True,
                 fields: dict | None = None, key: str = "", words: list | None = None):
        self.kind = kind  # person / company
        self.id = id
        self.new = new  # created by this import (this chunk or an earlier one)
        self.fresh = fresh  # not yet inserted (created in this chunk)
        self.fields = {} if fields is None else fields  # new: all columns; existing: current values
        self.changes: dict = {}  # existing: field -> new value
        self.before: dict = {}
        self.phones: list = []  # rows to insert
        self.emails: list = []
        self.tags: list = []
        self.notes: list = []
        self.have_e164: set = set()
        self.have_raw: set = set()
        self.have_email: set = set()
        self.have_tags: set = set()
        self.have_notes: set = set()
        self.phone_pos = 0
        self.email_pos = 0
        self.company: Card | None = None  # a person's company card
        self.touched = False  # something was added or changed
        self.rev = 0  # a new card's additions so far (a field filled, a phone/email/tag/note, its company)
        self.key = key  # a new card's search_key of its name
        self.words = [] if words is None else words  # a new person's search words of its name


def _new_additions(company: Card | None, person: Card | None) -> int:
    """What the row's new (not yet written) cards have gained so far (``Card.rev``)."""
    return ((company.rev if company is not None and company.fresh else 0)
            + (person.rev if person is not None and person.fresh else 0))


_NO_VALUES: dict = {}  # a row with no field for its company (``_Chunk.run``); never written to


def _empty(v) -> bool:
    return v is None or v == ""


def _same(a, b) -> bool:
    if isinstance(a, str) and isinstance(b, str):
        return search_key(a) == search_key(b)
    return a == b


class _Chunk:
    def __init__(self, ctx: _Ctx, rows: list[RowData]):
        self.ctx = ctx
        self.rows = rows
        self.companies: list[Card] = []
        self.persons: list[Card] = []
        self.c_by_inn: dict[str, list[Card]] = {}
        self.c_by_name: dict[str, list[Card]] = {}
        self.p_by_phone: dict[str, Card] = {}
        self.p_by_email: dict[str, Card] = {}
        self.p_by_name: dict[tuple, Card] = {}
        self.deals: list[dict] = []
        self.deal_keys: set = set()

    # ---------------------------------------------------------------- lookups against the base
    def load(self) -> None:
        rows = self.rows
        self.base_c_inn: dict[str, list[int]] = {}
        self.base_c_name: dict[str, list[int]] = {}
        self.base_p_phone: dict[str, set[int]] = {}
        self.base_p_email: dict[str, set[int]] = {}
        self.base_p_name: dict[str, list[tuple[int, int | None]]] = {}
        memo = self.ctx.memo
        if memo is not None:  # see MEMO_NOTE: what the queries below give, from memory (one pass over the rows)
            get = memo.get
            c_inn, c_name, p_name, p_phone, p_email = memo.c_inn, memo.c_name, memo.p_name, memo.p_phone, memo.p_email
            b_c_inn, b_c_name, b_p_name = self.base_c_inn, self.base_c_name, self.base_p_name
            b_p_phone, b_p_email = self.base_p_phone, self.base_p_email
            for r in rows:
                k = r.inn
                if k and k in c_inn:
                    b_c_inn[k] = get(c_inn, k)
                k = r.company_key
                if k and k in c_name:
                    b_c_name[k] = get(c_name, k)
                k = r.name_key
                if k and k in p_name:
                    b_p_name[k] = get(p_name, k)
                for k in r.e164s:
                    if k in p_phone:
                        b_p_phone[k] = set(get(p_phone, k))
                for k in r.email_keys:
                    if k in p_email:
                        b_p_email[k] = set(get(p_email, k))
        else:
            inns = list({r.inn for r in rows if r.inn})
            names = list({r.company_key for r in rows if r.company_key})
            e164s = list({e for r in rows for e in r.e164s})
            emails = list({a for r in rows for a in r.email_keys})
            pnames = list({r.name_key for r in rows if r.name_key})
            sql = lookup_sql()
            if inns:
                for cid, inn in sorted(_select_in(sql["company_inn"], inns)):  # by id (lookup_sql)
                    self.base_c_inn.setdefault(inn, []).append(cid)
            if names:
                for cid, key in sorted(_select_in(sql["company_name"], names)):
                    self.base_c_name.setdefault(key, []).append(cid)
            if e164s:
                for e, pid in _select_in(sql["person_phone"], e164s):
                    self.base_p_phone.setdefault(e, set()).add(pid)
            if emails:
                for e, pid in _select_in(sql["person_email"], emails):
                    self.base_p_email.setdefault(e, set()).add(pid)
            if pnames:
                for pid, key, cid in sorted(_select_in(sql["person_name"], pnames)):
                    self.base_p_name.setdefault(key, []).append((pid, cid))
        self.loaded_c: dict[int, Card] = {}
        self.loaded_p: dict[int, Card] = {}
        # every card a row of this chunk may merge into, loaded in a few queries for the whole chunk
        cids = {i for ids in self.base_c_inn.values() for i in ids} | {i for ids in self.base_c_name.values() for i in ids}
        pids = {i for ids in self.base_p_phone.values() for i in ids} | {i for ids in self.base_p_email.values() for i in ids}
        pids |= {pid for lst in self.base_p_name.values() for pid, _c in lst}
        for kind, ids in (("company", sorted(cids)), ("person", sorted(pids))):
            for i in range(0, len(ids), 5000):
                self._existing(kind, ids[i:i + 5000])

    def _existing(self, kind: str, ids: list[int]) -> None:
        """Load base cards (fields, phones, emails, tags, notes) for merging."""
        cache = self.loaded_p if kind == "person" else self.loaded_c
        if kind == "company":  # companies recur on many rows: their cards live for the whole import
            shared = self.ctx.company_cards
            for i in ids:
                if i not in cache and i in shared:
                    cache[i] = shared[i]
        ids = [i for i in ids if i not in cache]
        if not ids:
            return
        model = Person if kind == "person" else Company
        fill = PERSON_FILL + ("company", "full_name") if kind == "person" else COMPANY_FILL + ("name",)
        cols = [model.id, model.import_batch, model.name_key] + [getattr(model, f) for f in fill]
        for row in model.select(*cols).where(model.id.in_(ids)).dicts():
            card = Card(kind, id=row["id"], new=row["import_batch"] == self.ctx.batch_id, fresh=False)
            card.fields = {f: row.get(f) for f in fill}
            card.key = row["name_key"]
            cache[card.id] = card
            if kind == "company":
                self.ctx.keep_company(card)
        owner = Phone.person if kind == "person" else Phone.company
        for oid, e164, raw, pos in Phone.select(owner, Phone.e164, Phone.raw, Phone.position).where(owner.in_(ids)).tuples():
            c = cache[oid]
            if e164:
                c.have_e164.add(e164)
            c.have_raw.add(raw)
            c.phone_pos = max(c.phone_pos, pos + 1)
        owner = Email.person if kind == "person" else Email.company
        for oid, addr, pos in Email.select(owner, Email.address_lower, Email.position).where(owner.in_(ids)).tuples():
            c = cache[oid]
            c.have_email.add(addr)
            c.email_pos = max(c.email_pos, pos + 1)
        link, lf = (PersonTag, PersonTag.person) if kind == "person" else (CompanyTag, CompanyTag.company)
        for oid, tid in link.select(lf, link.tag).where(lf.in_(ids)).tuples():
            cache[oid].have_tags.add(tid)
        nf = Note.person if kind == "person" else Note.company
        q = Note.select(nf, Note.text).where(nf.in_(ids))
        if kind == "company":
            q = q.where(Note.person.is_null())
        for oid, text in q.tuples():
            cache[oid].have_notes.add(text)

    # ---------------------------------------------------------------- matching
    def company_for(self, r: RowData) -> tuple[Card | None, str | None]:
        """The company card of a row (found, or a new one), or an ambiguity message."""
        if not r.company and not r.inn:
            return None, None
        key = r.company_key
        # within this chunk
        for c in self.c_by_inn.get(r.inn or "", []):
            if not r.kpp or not c.fields.get("kpp") or c.fields.get("kpp") == r.kpp:
                return c, None
        if key:
            for c in self.c_by_name.get(key, []):
                if not r.inn or not c.fields.get("inn") or c.fields.get("inn") == r.inn:
                    return c, None
        found: int | None = None
        if True:
            if r.inn and r.inn in self.base_c_inn:
                ids = self.base_c_inn[r.inn]
                self._existing("company", ids)
                cands = [self.loaded_c[i] for i in ids]
                exact = [c for c in cands if r.kpp and c.fields.get("kpp") == r.kpp]
                loose = [c for c in cands if not r.kpp or not c.fields.get("kpp")]
                pick = exact or loose
                if pick:
                    found = pick[0].id
            if found is None and key and key in self.base_c_name:
                ids = self.base_c_name[key]
                self._existing("company", ids)
                cands = [self.loaded_c[i] for i in ids if not r.inn or not self.loaded_c[i].fields.get("inn") or self.loaded_c[i].fields.get("inn") == r.inn]
                if cands:
                    found = cands[0].id
        if found is not None and (self.ctx.policy != "create" or self.loaded_c[found].new):
            card = self.loaded_c[found]
        else:
            if not r.company:
                return None, _("tax id {inn} is not in the base and the row has no company name").format(inn=r.inn)
            card = Card("company", fields={"name": r.company, "inn": r.inn, "kpp": r.kpp}, key=key)
            self.companies.append(card)
        inn = card.fields.get("inn")
        if inn:
            self.c_by_inn.setdefault(inn, []).append(card)
        name_key = self.ctx.key(card.fields.get("name") or r.company)
        by_name = self.c_by_name
        if name_key:
            by_name.setdefault(name_key, []).append(card)
        if key and key != name_key:  # the file's name for a company of the base named otherwise
            by_name.setdefault(key, []).append(card)
        return card, None

    def person_for(self, r: RowData, company: Card | None) -> tuple[Card | None, str | None]:
        e164s, emails = r.e164s, r.email_keys
        key = r.name_key
        # within the chunk
        for e in e164s:
            if e in self.p_by_phone:
                return self.p_by_phone[e], None
        for e in emails:
            if e in self.p_by_email:
                return self.p_by_email[e], None
        ids: list[int] = []
        if self.base_p_phone:  # empty when the base has none of the chunk's numbers (a new base)
            for e in e164s:
                ids.extend(sorted(self.base_p_phone.get(e, ())))
        if self.base_p_email:
            for e in emails:
                ids.extend(sorted(self.base_p_email.get(e, ())))
        if len(ids) > 1:
            ids = list(dict.fromkeys(ids))
        within = self.p_by_name.get((key, id(company) if company else None))
        if not ids and within is not None:
            return within, None
        if not ids:
            cid = company.id if company is not None and not company.fresh else None
            if company is None or cid is not None:
                ids = [pid for pid, pc in self.base_p_name.get(key, []) if pc == cid][:1]
        card: Card | None = None
        if len(ids) > 1:
            self._existing("person", ids)
            names = ", ".join(f"#{i} {self.loaded_p[i].fields.get('full_name')}" for i in ids[:4])
            return None, _("matches several cards ({names}); merge them first or fix the row").format(names=names)
        if ids:
            self._existing("person", ids)
            card = self.loaded_p[ids[0]]
            if self.ctx.policy == "create" and not card.new:
                card = None
        if card is None:
            card = Card("person", fields={"full_name": r.full_name, "last_name": r.last, "first_name": r.first,
                                          "middle_name": r.middle}, key=key, words=r.name_words)
            self.persons.append(card)
        for e in e164s:
            self.p_by_phone.setdefault(e, card)
        for e in emails:
            self.p_by_email.setdefault(e, card)
        self.p_by_name.setdefault((key, id(company) if company else None), card)
        return card, None

    # ---------------------------------------------------------------- filling a card from a row
    def fill(self, card: Card, r: RowData, values_: dict, phones: list, emails: list) -> list[str]:
        """Apply a row's values to a card; returns conflict messages."""
        conflicts = []
        ctx = self.ctx
        fresh = card.fresh
        if fresh:
            fields, filled = card.fields, 0
            for k, v in values_.items():
                if v is not None and v != "":
                    cur = fields.get(k)
                    if cur is None or cur == "":
                        fields[k] = v
                        filled += 1
            card.rev += filled
        else:
            for k, v in values_.items():
                if v is None or v == "":  # _empty, inline: most values of most rows are empty
                    continue
                cur = card.changes.get(k, card.fields.get(k))
                if _empty(cur):
                    card.changes[k] = v
                    card.before.setdefault(k, card.fields.get(k))
                    card.touched = True
                elif not _same(cur, v):
                    if k == "owner" and values_.get("owner") == ctx.actor.user_id:
                        continue
                    conflicts.append(_("{field}: the card has {old!r}, the file {new!r} (kept the card's)").format(
                        field=k, old=_display(cur), new=_display(v)))
        added = 0  # card.rev grows by one per phone/email/tag added
        flag = ctx.flag
        if phones:
            have_e164, have_raw, rows = card.have_e164, card.have_raw, card.phones
            pos = card.phone_pos
            for (raw, e164, ext, digits_rev, pkind, valid, reason, note), kind in phones:
                if e164:
                    if e164 in have_e164:
                        continue
                    have_e164.add(e164)
                else:
                    if raw in have_raw:
                        continue
                have_raw.add(raw)
                # the columns of Phone (as contacts._phone_rows makes them), owner filled in at flush
                rows.append((raw[:500], e164, ext, digits_rev, kind or pkind, flag[valid], reason, note, flag[pos == 0], pos))
                pos += 1
                added += 1
            card.phone_pos = pos
        for address, ok in emails:
            low = address.lower()
            if low in card.have_email:
                continue
            card.have_email.add(low)
            card.emails.append((address, low[:254], flag[ok], flag[card.email_pos == 0], card.email_pos))
            card.email_pos += 1
            added += 1
        if r.tags:
            by_text, have_tags = self.ctx.tag_by_text, card.have_tags
            for t in r.tags:
                tid = by_text.get(t)
                if tid is None:
                    tid = self.tag_id(t)
                if tid not in have_tags:
                    have_tags.add(tid)
                    card.tags.append(tid)
                    added += 1
        if added:
            card.rev += added
            if not fresh:
                card.touched = True
        return conflicts

    def add_notes(self, card: Card, notes: list[str]) -> None:
        for n in notes:
            if n not in card.have_notes:
                card.have_notes.add(n)
                card.notes.append(n)
                card.rev += 1
                card.touched = card.touched or not card.fresh

    def tag_id(self, name: str) -> int:
        tid = self.ctx.tag_by_text.get(name)  # the same few tags on most rows
        if tid is None:
            if len(self.ctx.tag_by_text) > KEY_CACHE_MAX:
                self.ctx.tag_by_text.clear()
            tid = self.ctx.tag_by_text[name] = self._tag_id(name)
        return tid

    def _tag_id(self, name: str) -> int:
        name = name.strip()[:100]
        key = self.ctx.key(name)
        cache = self.ctx.tag_cache
        if key not in cache:
            tid = Tag.select(Tag.id).where(Tag.name_key == key).scalar()
            if tid is None:
                tid = Tag.insert(name=name, name_key=key).execute()
                self.ctx.items.append((self.ctx.batch_id, "tag", tid, "created", None))
            cache[key] = tid
        return cache[key]

    # ---------------------------------------------------------------- the rows of the chunk
    def run(self) -> None:
        ctx, rep = self.ctx, self.ctx.report
        self.load()
        for r in self.rows:
            before_c = len(self.companies)
            before_p = len(self.persons)
            company, err = self.company_for(r)
            if err:
                _reject(rep, r, err, cells_of=ctx.cells_of)
                continue
            person = None
            if r.has_person:
                person, err = self.person_for(r, company)
                if err:
                    if len(self.companies) > before_c and company is not None and company.fresh and not company.touched:
                        self._forget_company(company)
                    rep.add(r.number, "ambiguous", err)
                    _reject(rep, r, err, counted=False, cells_of=ctx.cells_of)
                    continue
            created = len(self.companies) > before_c or len(self.persons) > before_p
            matched_existing = (person is not None and not person.fresh) or (person is None and company is not None and not company.fresh)
            if matched_existing and ctx.policy == "skip" and not created:
                rep.skipped += 1
                continue
            # what the row finds before it adds anything (the outcome below compares)
            c_touched = company is not None and company.touched
            p_touched = person is not None and person.touched
            sig = _new_additions(company, person)
            conflicts: list[str] = []
            owner = r.owner_id
            if company is not None and not (ctx.policy == "skip" and not company.fresh):
                if company.fresh or owner or r.inn or r.kpp or r.address or r.site or r.industry or (r.source and not r.has_person):
                    cvals = {"inn": r.inn, "kpp": r.kpp, "address": r.address, "site": r.site, "industry": r.industry,
                             "source": r.source if not r.has_person else None,
                             "owner": owner if not company.fresh else (owner or ctx.actor.user_id)}
                else:  # a company met before, and the row has none of its fields (most rows)
                    cvals = _NO_VALUES
                conflicts += self.fill(company, r, cvals, r.company_phones, r.company_emails)
                if not r.has_person:
                    self.add_notes(company, r.notes)
            if person is not None:
                if company is not None and person.fresh and person.company is None:
                    person.company = company
                    person.rev += 1
                pvals = {"position": r.position, "birthday": r.birthday, "source": r.source,
                         "owner": owner if not person.fresh else (owner or ctx.actor.user_id)}
                if company is not None and not person.fresh:
                    if company.fresh:
                        if person.fields.get("company") is None and "company" not in person.changes:
                            person.company = company
                            person.changes["company"] = company  # resolved to an id at flush
                            person.before.setdefault("company", None)
                            person.touched = True
                        elif person.fields.get("company") is not None:
                            conflicts.append(_("company: the card is linked to another company (kept it)"))
                    else:
                        pvals["company"] = company.id
                conflicts += self.fill(person, r, pvals, r.phones, r.emails)
                self.add_notes(person, r.notes)
            if r.deal_title:
                if self.deal(r, person, company):
                    created = True
            for w in r.warnings:
                rep.add(r.number, "warning", w)
            for c in conflicts:
                rep.add(r.number, "conflict", c)
            if created:
                rep.created += 1
            elif (company is not None and company.touched and not c_touched) or (person is not None and person.touched and not p_touched):
                rep.merged += 1
            elif sig != _new_additions(company, person):
                rep.merged += 1  # a duplicate row of this file added something to the card of an earlier row
            elif matched_existing and ctx.policy == "skip":
                rep.skipped += 1
            else:
                rep.unchanged += 1
        self.flush()

    def _forget_company(self, card: Card) -> None:
        self.companies.remove(card)
        for d in (self.c_by_inn, self.c_by_name):
            for k, lst in list(d.items()):
                if card in lst:
                    lst.remove(card)

    def deal(self, r: RowData, person: Card | None, company: Card | None) -> bool:
        ctx = self.ctx
        if ctx.stage_cache is None:
            from tuicrm.services.deals import default_pipeline, stages

            pipe = default_pipeline()
            st = stages(pipe.id)
            ctx.stage_cache = {search_key(s.name): (s.id, pipe.id, s.kind, s.probability) for s in st}
            ctx.default_stage = (st[0].id, pipe.id, st[0].kind, st[0].probability)
        stage = ctx.stage_cache.get(search_key(r.deal_stage)) if r.deal_stage else None
        if r.deal_stage and stage is None:
            ctx.report.add(r.number, "warning", _("stage {stage!r} is not in the pipeline; the deal starts at the first stage").format(stage=r.deal_stage))
        stage = stage or ctx.default_stage
        key = (search_key(r.deal_title), id(person) if person else None, id(company) if company else None)
        if key in self.deal_keys:
            return False
        self.deal_keys.add(key)
        pid = person.id if person is not None and not person.fresh else None
        cid = company.id if company is not None and not company.fresh else None
        if (person is None or pid) and (company is None or cid):
            q = Deal.select(Deal.id).where((Deal.title_key == key[0]) & Deal.archived_at.is_null())
            q = q.where(Deal.person == pid if pid else Deal.person.is_null())
            q = q.where(Deal.company == cid if cid else Deal.company.is_null())
            if q.exists():
                return False
        self.deals.append(dict(title=r.deal_title, stage=stage, person=person, company=company, amount=r.deal_amount or 0,
                               owner=r.owner_id or ctx.actor.user_id))
        return True

    # ---------------------------------------------------------------- writing
    def flush(self) -> None:
        ctx, rep = self.ctx, self.ctx.report
        now, nowv = ctx.now, ctx.now_db
        actor = ctx.actor.user_id
        items = ctx.items
        audits = []
        bid = ctx.batch_id
        memo = ctx.memo
        card_fixed = (("visibility", "shared"), ("created_by", actor), ("import_batch", bid), ("created_at", nowv),
                      ("updated_at", nowv))
        # new companies
        if self.companies:
            rows = []
            for c in self.companies:
                f = c.fields
                rows.append((f["name"], ctx.key(f["name"]), f.get("inn"), f.get("kpp"), f.get("address"), f.get("site"),
                             f.get("industry"), f.get("source"), f.get("owner") or actor))
            ids = _bulk(Company, _COMPANY_COLS, rows, returning=True, fixed=card_fixed)
            toks = []
            for c, cid, row in zip(self.companies, ids, rows):
                c.id, c.fresh = cid, False
                ctx.keep_company(c)
                if memo is not None:
                    memo.add_company(cid, row[1], row[2])
                toks.extend((w, cid) for w in _key_tokens(row[1]))  # each new company once (tokens() of its name)
            _bulk(SearchToken, _TOKEN_COLS, toks, fixed=(("kind", "c"),))
            rep.companies_created += len(self.companies)
        # new persons
        if self.persons:
            rows = []
            iso = ctx.iso_dates
            for p in self.persons:
                f = p.fields
                comp = p.company.id if p.company is not None else None
                birthday = f.get("birthday")
                if birthday is not None and iso:
                    birthday = birthday.isoformat()
                rows.append((f["last_name"], f["first_name"], f["middle_name"], f["full_name"], p.key, f.get("position"),
                             comp, birthday, f.get("source"), f.get("owner") or actor))
            ids = _bulk(Person, _PERSON_COLS, rows, returning=True, fixed=card_fixed)
            toks = []
            p_name = memo.p_name if memo is not None else None
            for p, pid, row in zip(self.persons, ids, rows):
                p.id, p.fresh = pid, False
                if p_name is not None:
                    if p.key in p_name:
                        memo.add_person(pid, p.key, row[6])
                    else:  # memo.add_person, inline: most names are new
                        p_name[p.key] = (pid, row[6])
                        memo.size += 1
                toks += [(w, pid) for w in p.words]  # its name's words (_key_tokens(p.key)); not the company's
            _bulk(SearchToken, _TOKEN_COLS, toks, fixed=(("kind", "p"),))
            rep.persons_created += len(self.persons)
        # merged cards
        for kind, cache in (("company", self.loaded_c), ("person", self.loaded_p)):
            model = Company if kind == "company" else Person
            for card in cache.values():
                if card.changes:
                    changes = {k: (v.id if isinstance(v, Card) else v) for k, v in card.changes.items()}
                    model.update(**changes, updated_at=now, row_version=model.row_version + 1).where(model.id == card.id).execute()
                    if memo is not None:
                        if kind == "company" and changes.get("inn"):
                            memo.company_inn(card.id, changes["inn"])
                        elif kind == "person" and changes.get("company") is not None:
                            memo.link_person(card.id, card.key, changes["company"])
                    if not card.new:
                        before = {k: [_jsonable(card.before.get(k)), _jsonable(v)] for k, v in changes.items()}
                        items.append((bid, kind, card.id, "merged", to_json(before)))
                        audits.append(dict(user=actor, entity=kind, entity_id=card.id, action="merge",
                                           changes=to_json(before), at=now))
                    card.fields.update(changes)
                    card.changes = {}
                    card.before = {}
                if card.touched and not card.new:
                    if kind == "company":
                        rep.companies_merged += 1
                    else:
                        rep.persons_merged += 1
                card.touched = False
        # children
        # OWNER_NOTE: the phones and e-mails of companies and of persons go in separate statements,
        # each without the other owner's column (a NULL bound costs the sqlite3 module ≈ 1,400
        # instructions: SQLITE_ADAPT_NOTE). The companies come first below, as they did in one list.
        c_phones, c_emails, p_phones, p_emails, ptags, ctags, notes = [], [], [], [], [], [], []
        old_children = []  # (entity, model, row) for cards that existed before the import
        for card in list(self.companies) + list(self.loaded_c.values()) + list(self.persons) + list(self.loaded_p.values()):
            if not (card.phones or card.emails or card.tags or card.notes):
                continue  # most company cards of a chunk only gained persons
            is_person = card.kind == "person"
            owner = (card.id, None) if is_person else (None, card.id)
            own = (card.id,)
            if memo is not None and is_person:
                for target, new_rows in ((memo.p_phone, card.phones), (memo.p_email, card.emails)):
                    for row in new_rows:
                        k = row[1]  # the e164 (None for an invalid number), the address in lower case
                        if k:
                            if k in target:
                                memo.add(target, k, card.id)
                            else:  # memo.add, inline: most are new
                                target[k] = card.id
                                memo.size += 1
            if card.new:
                (p_phones if is_person else c_phones).extend(own + row for row in card.phones)
                (p_emails if is_person else c_emails).extend(own + row for row in card.emails)
                if is_person:
                    ptags.extend((card.id, tid) for tid in card.tags)
                else:
                    ctags.extend((card.id, tid) for tid in card.tags)
            else:
                old_children.extend(("phone", Phone, dict(zip(_PHONE_COLS, owner + row), created_at=now)) for row in card.phones)
                old_children.extend(("email", Email, dict(zip(_EMAIL_COLS, owner + row), kind="work", created_at=now))
                                    for row in card.emails)
                for tid in card.tags:
                    if is_person:
                        old_children.append(("person_tag", PersonTag, dict(person=card.id, tag=tid)))
                    else:
                        old_children.append(("company_tag", CompanyTag, dict(company=card.id, tag=tid)))
            for text in card.notes:
                comp = card.company.id if is_person and card.company is not None else (
                    card.fields.get("company") if is_person else card.id)
                if isinstance(comp, Card):
                    comp = comp.id
                notes.append(dict(text=text, person=card.id if is_person else None, company=comp,
                                  author=actor, import_batch=ctx.batch_id, created_at=now, updated_at=now))
            if not is_person:  # company cards live on for the next chunks (ctx.company_cards); person cards end with this one
                card.phones, card.emails, card.tags, card.notes = [], [], [], []
        created = (("created_at", nowv),)
        _bulk(Phone, ("company",) + _PHONE_COLS[2:], c_phones, fixed=created)
        _bulk(Phone, ("person",) + _PHONE_COLS[2:], p_phones, fixed=created)
        _bulk(Email, ("company",) + _EMAIL_COLS[2:], c_emails, fixed=(("kind", "work"),) + created)
        _bulk(Email, ("person",) + _EMAIL_COLS[2:], p_emails, fixed=(("kind", "work"),) + created)
        _bulk(PersonTag, ("person", "tag"), ptags)
        _bulk(CompanyTag, ("company", "tag"), ctags)
        _insert(Note, notes)
        for entity, model, row in old_children:
            rid = model.insert(**row).execute()
            items.append((bid, entity, rid, "created", None))
        # deals
        if self.deals:
            rows = []
            for d in self.deals:
                stage_id, pipe_id, kind, _prob = d["stage"]
                rows.append(dict(title=d["title"], title_key=search_key(d["title"]), pipeline=pipe_id, stage=stage_id,
                                 person=d["person"].id if d["person"] else None, company=d["company"].id if d["company"] else None,
                                 amount_minor=d["amount"], currency="RUB", owner=d["owner"], stage_entered_at=now,
                                 created_at=now, updated_at=now, closed_at=now if kind != StageKind.OPEN else None,
                                 import_batch=ctx.batch_id))
            ids = _insert(Deal, rows, returning=True)
            _insert(StageChange, [dict(deal=i, from_stage=None, to_stage=r["stage"], user=actor, changed_at=now, entered_at=None) for i, r in zip(ids, rows)])
            rep.deals_created += len(ids)
        _insert(AuditLog, audits)
        _bulk(ImportItem, _ITEM_COLS, items)
        items.clear()
        if memo is not None and memo.size > MEMO_MAX_KEYS:
            ctx.leave_memo()


def _display(v) -> str:
    if isinstance(v, Card):
        return v.fields.get("name") or v.fields.get("full_name") or ""
    return str(v)[:60]


def _jsonable(v):
    if isinstance(v, Card):
        return v.id
    if hasattr(v, "isoformat"):
        return v.isoformat()
    return v


def _raw_db():
    db = Person._meta.database
    return db.obj if hasattr(db, "obj") else db


def _alive_sql(p: str = "", plus: str = "") -> str:
    """The condition of a card that is neither archived nor merged (``p``: a table alias and dot;
    ``plus``: "+" keeps SQLite off the merged_into index, see lookup_sql)."""
    return f'{p}"archived_at" IS NULL AND {plus}{p}"merged_into_id" IS NULL'


def lookup_sql() -> dict[str, str]:
    """The per-chunk lookups of merge candidates ({in_} is the IN list), alive cards only.

    On SQLite the merged_into index is kept out of the plan ("+"): without ANALYZE statistics (a
    new base) SQLite picks it for "merged_into_id IS NULL" with a long IN list and then scans every
    card of the base for each chunk, which made the import quadratic in the size of the base. For
    the same reason there is no ORDER BY (the caller sorts): with statistics and an IN list of
    ≈ 1,000 values SQLite chose to scan the whole table in id order rather than sort the rows it
    finds (3.6 s of a 100,000-row import into the large base went on scanning its companies)."""
    plus = "+" if isinstance(_raw_db(), peewee.SqliteDatabase) else ""

    def alive(p: str) -> str:  # the tables' aliases differ; the "+" is the same in every lookup
        return _alive_sql(p, plus)

    return {
        "company_inn": 'SELECT "id", "inn" FROM "company" WHERE "inn" IN ({in_}) AND ' + alive(""),
        "company_name": 'SELECT "id", "name_key" FROM "company" WHERE "name_key" IN ({in_}) AND ' + alive(""),
        "person_phone": 'SELECT t."e164", t."person_id" FROM "phone" t JOIN "person" q ON t."person_id" = q."id" '
                        'WHERE t."e164" IN ({in_}) AND ' + alive("q."),
        "person_email": 'SELECT t."address_lower", t."person_id" FROM "email" t JOIN "person" q ON t."person_id" = q."id" '
                        'WHERE t."address_lower" IN ({in_}) AND ' + alive("q."),
        "person_name": 'SELECT "id", "name_key", "company_id" FROM "person" WHERE "name_key" IN ({in_}) AND ' + alive(""),
    }


class _Memo:
    """The chunk lookups (``lookup_sql``) answered from memory, for a big import into a smaller
    SQLite base (see MEMO_NOTE): the keys of the base's alive cards, loaded once, and of every card,
    phone, e-mail and link the import writes, added by ``_Chunk.flush`` as it writes them. A key
    found once holds its one id (or (id, company) for names) as it is, several a sorted list: most
    keys have one card, and a list or set per key doubled the memory."""

    def __init__(self) -> None:
        self.c_inn: dict[str, object] = {}  # inn -> company id | [ids]
        self.c_name: dict[str, object] = {}  # name_key -> company id | [ids]
        self.p_phone: dict[str, object] = {}  # e164 -> person id | [ids]
        self.p_email: dict[str, object] = {}  # address_lower -> person id | [ids]
        self.p_name: dict[str, object] = {}  # name_key -> (person id, company id) | [(id, company)]
        self.size = 0  # keys held (ids in all)

    def load(self) -> None:
        db = _raw_db()
        alive = _alive_sql()
        for cid, inn, key in db.execute_sql(f'SELECT "id", "inn", "name_key" FROM "company" WHERE {alive} ORDER BY "id"'):
            self.add_company(cid, key, inn)
        for pid, key, cid in db.execute_sql(f'SELECT "id", "name_key", "company_id" FROM "person" WHERE {alive} ORDER BY "id"'):
            self.add_person(pid, key, cid)
        for table, col, target in (("phone", "e164", self.p_phone), ("email", "address_lower", self.p_email)):
            for value, pid in db.execute_sql(
                    f'SELECT t."{col}", t."person_id" FROM "{table}" t JOIN "person" q ON t."person_id" = q."id" '
                    f'WHERE t."{col}" IS NOT NULL AND {_alive_sql("q.")}'):
                self.add(target, value, pid)

    def add(self, target: dict, key: str, item) -> None:
        """``item`` (an id, or (id, company)) under ``key``, once, the items in order."""
        have = target.get(key)
        if have is None:
            target[key] = item
        elif type(have) is list:
            if item in have:
                return
            bisect.insort(have, item)
        elif have == item:
            return
        else:
            target[key] = sorted((have, item))
        self.size += 1

    @staticmethod
    def get(source: dict, key: str) -> list:
        have = source.get(key)
        if have is None:
            return []
        return have.copy() if type(have) is list else [have]

    def add_company(self, cid: int, key: str, inn: str | None) -> None:
        self.add(self.c_name, key, cid)
        if inn:
            self.add(self.c_inn, inn, cid)

    def add_person(self, pid: int, key: str, cid: int | None) -> None:
        self.add(self.p_name, key, (pid, cid))

    def link_person(self, pid: int, key: str, cid: int) -> None:
        """A person of the base got a company (merge): the (id, company) its name finds."""
        have = self.p_name.get(key)
        if type(have) is list:
            self.p_name[key] = [(pid, cid) if p == pid else (p, c) for p, c in have]
        elif have is not None and have[0] == pid:
            self.p_name[key] = (pid, cid)

    def company_inn(self, cid: int, inn: str) -> None:
        """A company of the base got its tax id (merge)."""
        self.add(self.c_inn, inn, cid)


# MEMO_NOTE: a big import into a smaller SQLite base (the case of ``_defer_indexes``) also drops the
# three random-key indexes the lookups read (person_name_key, phone_e164, email_address_lower),
# which cost about a third of the person, phone and e-mail inserts, and answers the lookups from
# ``_Memo`` instead: the same rows, in the same order, as the queries give (a test imports the same
# files both ways and compares every table and report). Its keys cost ≈ 185 bytes each (a
# 100,000-row file: ≈ 390,000 keys, 70 MB); past MEMO_MAX_KEYS (a bigger file) the import builds the
# three indexes there and then and goes on with the queries, so memory stays bounded whatever the
# file size (a 1,000,000-row import: 272 MB at its peak in the importing process).
MEMO_INDEXES = ("person_name_key", "phone_e164", "email_address_lower")
MEMO_MAX_KEYS = 400_000


IN_MAX = 5000  # values per IN list (SQLite allows 32,766 parameters, PostgreSQL 65,535)


def _select_in(sql: str, values: list) -> list[tuple]:
    """Rows of a query whose ``{in_}`` is an IN list over ``values`` (in parts), with plain SQL:
    building a peewee expression per value cost more than the query itself."""
    db = _raw_db()
    out: list[tuple] = []
    for i in range(0, len(values), IN_MAX):
        part = values[i:i + IN_MAX]
        out.extend(db.execute_sql(sql.format(in_=",".join([db.param] * len(part))), part).fetchall())
    return out


def _rejected(rep: ImportReport, number: int, cells: list | None, reason: str, counted: bool = True) -> None:
    """A rejected row: counted, listed (unless already listed, as ambiguous) and kept for the
    rejected-rows file."""
    rep.rejected += 1
    if counted:
        rep.add(number, "rejected", reason)
    if len(rep.rejected_rows) < MAX_REJECTED_ROWS:
        rep.rejected_rows.append((number, cells, reason))


def _reject(rep: ImportReport, r: RowData, reason: str, counted: bool = True, cells_of=None) -> None:
    """``_rejected`` of a row being matched (its cells, or those the worker sent: CELLS_NOTE)."""
    cells = r.cells if r.cells is not None or cells_of is None else cells_of(r.number)
    _rejected(rep, r.number, cells, reason, counted)


class _CellsOf:
    """CELLS_NOTE: the worker sends a chunk's cells pickled apart from its prepared rows, and they are
    unpickled here only when one of its rows is rejected (for the rejected-rows file). Most chunks
    have none, and the importing process is the one the import waits for: receiving the chunks of
    the 100,000-row bench file took it 0.75 s with every row's cells, 0.59 s without (best of three).
    The chunks are 6 % larger (the cells no longer share the pickle's memo with the rows); the
    worker, which has time to spare, pickles them."""

    def __init__(self, blob: bytes):
        self.blob = blob
        self.by_number: dict[int, list] | None = None

    def __call__(self, number: int) -> list | None:
        if self.by_number is None:
            self.by_number = dict(pickle.loads(self.blob))
        return self.by_number.get(number)


# the columns of the rows the importer builds; the ones all rows share go as ``fixed`` (LITERAL_NOTE):
# a card's visibility, creator, batch and times, a phone's and an e-mail's time, an e-mail's kind, a word's kind
_COMPANY_COLS = ("name", "name_key", "inn", "kpp", "address", "site", "industry", "source", "owner")
_PERSON_COLS = ("last_name", "first_name", "middle_name", "full_name", "name_key", "position", "company", "birthday",
                "source", "owner")
_PHONE_COLS = ("person", "company", "raw", "e164", "extension", "digits_rev", "kind", "is_valid", "invalid_reason", "note",
               "is_primary", "position")
_EMAIL_COLS = ("person", "company", "address", "address_lower", "is_valid", "is_primary", "position")
_TOKEN_COLS = ("token", "ref_id")
_ITEM_COLS = ("batch", "entity", "entity_id", "action", "before")


def _key_tokens(key: str) -> list[str]:
    """services.base.tokens() of a text whose search_key is already known."""
    seen: dict[str, None] = {}
    for word in _WORD.findall(key):
        seen.setdefault(word[:64], None)
    return list(seen)


def _insert(model, rows: list[dict], returning: bool = False) -> list[int]:
    if not rows:
        return []
    cols = tuple(rows[0].keys())
    return _bulk(model, cols, [tuple(r[k] for k in cols) for r in rows], returning=returning)


_INSERT_SQL: dict[tuple[str, str, str, int], str] = {}  # (head, one row, tail, rows) → the statement's text, built once


def _statement_sizes(count: int, per: int, sqlite: bool) -> list[int]:
    """Rows per INSERT statement for ``count`` rows, at most ``per`` each. STATEMENT_NOTE: SQLite
    parses and plans every statement text it has not met before (the sqlite3 module keeps the last
    128 ready), and a chunk's last rows of each table made a statement of a new length almost every
    time: 173 M of the ≈ 2,500 M instructions of a 5,000-row import went to parsing them (callgrind).
    On SQLite the rest after the full statements is sent in statements of 256, 128, …, 1 rows (its
    binary digits), nine texts per table at most, each parsed once. PostgreSQL prepares nothing
    (psycopg2 sends the values in the text) and pays a round trip per statement: one for the rest."""
    sizes = [per] * (count // per)
    rest = count % per
    if not sqlite:
        return sizes + [rest] if rest else sizes
    bit = 1 << (per.bit_length() - 1)
    while rest:
        if rest >= bit:
            sizes.append(bit)
            rest -= bit
        bit >>= 1
    return sizes


# LITERAL_NOTE: the values every row of an INSERT shares (the batch, the importing user, the time,
# "shared", a phone's or e-mail's kind) are written into the statement's text, not bound once per
# row: binding is the sqlite3 module's work in the importing process (≈ 10 % of its instructions),
# and these were a fifth of the parameters of a big import. Only ints and strs go in as text (a
# str quoted as SQL quotes it), which both engines read as the same INTEGER or TEXT value a bound
# one gives; anything else (a datetime for PostgreSQL, a bool) is still bound. The texts are few
# per import (``_INSERT_SQL``): the values are the same for all its chunks.
def _sql_literal(v: int | str) -> str:
    return str(v) if type(v) is int else "'" + v.replace("'", "''") + "'"


def _bulk(model, cols: tuple, rows: list[tuple], returning: bool = False, fixed: tuple = ()) -> list[int]:
    """Multi-row INSERT of value tuples (in the order of ``cols``) with plain SQL, without building a
    query tree or a dict per row (peewee's insert_many spends most of its time there). Values are
    plain ints/strings/dates/bools, which both drivers adapt exactly as peewee would pass them;
    ``fixed`` gives (column, value) pairs that are the same for every row (LITERAL_NOTE); columns
    left out get their model default. With ``returning`` it gives the new rows' ids.

    IDS_NOTE: on SQLite the ids are chosen here, max(id) + 1 onwards, and inserted with the rows:
    the import holds the base's write lock for its whole transaction (``write_tx`` is IMMEDIATE), so
    nothing else can take them, and SQLite gives a new row exactly that id anyway (no AUTOINCREMENT).
    ``RETURNING "id"`` made SQLite collect every inserted row before giving them back, which cost a
    third of the person inserts (0.3 s per 100,000 persons). PostgreSQL takes its ids from the
    sequence with RETURNING."""
    if not rows:
        return []
    db = _raw_db()
    meta = model._meta
    given = set(cols) | {k for k, _v in fixed}
    fixed = tuple(fixed) + tuple((f.name, f.default() if callable(f.default) else f.default) for f in meta.sorted_fields
                                 if f.default is not None and f.name not in given and not f.primary_key)
    literal = tuple((k, v) for k, v in fixed if type(v) in (int, str))  # see LITERAL_NOTE
    bound = tuple((k, v) for k, v in fixed if type(v) not in (int, str))
    cols = list(cols)
    if bound:
        values_ = tuple(v for _k, v in bound)
        cols += [k for k, _v in bound]
        rows = [r + values_ for r in rows]
    sqlite = isinstance(db, peewee.SqliteDatabase)
    if returning and sqlite:
        # see IDS_NOTE: the ids are given, not returned
        first = (db.execute_sql('SELECT max("id") FROM "{}"'.format(meta.table_name)).fetchone()[0] or 0) + 1
        ids = list(range(first, first + len(rows)))
        _bulk(model, ("id", *cols), [(i, *r) for i, r in zip(ids, rows)], fixed=literal)
        return ids
    width = len(cols)
    one = "(" + ",".join([db.param] * width + [_sql_literal(v) for _k, v in literal]) + ")"
    cols += [k for k, _v in literal]
    # OR FAIL on SQLite: no statement journal where the foreign keys are checked at the end (FK_CHECK_NOTE);
    # a failed row fails the whole import either way
    head = ('INSERT OR FAIL INTO "{}" ({}) VALUES ' if sqlite else 'INSERT INTO "{}" ({}) VALUES ').format(meta.table_name, ",".join('"{}"'.format(meta.fields[c].column_name) for c in cols))
    tail = ' RETURNING "id"' if returning else ""
    per = max(1, min(500, 30000 // max(width, 1)))
    sizes = _statement_sizes(len(rows), per, sqlite)
    out: list[int] = []
    i = 0
    for n in sizes:
        part = rows[i:i + n]
        i += n
        key = (head, one, tail, n)  # ``one`` has the driver's placeholder
        sql = _INSERT_SQL.get(key)
        if sql is None:
            if len(_INSERT_SQL) > 256:
                _INSERT_SQL.clear()
            sql = _INSERT_SQL[key] = head + ",".join([one] * n) + tail
        cur = db.execute_sql(sql, list(itertools.chain.from_iterable(part)))
        if returning:
            got = [row[0] for row in cur.fetchall()]
            if len(got) != len(part):
                raise RuntimeError("insert returned a wrong number of ids")
            out.extend(got)
    return out


# --- the whole import ----------------------------------------------------------------------------


def run_import(
    actor: Actor,
    path: str | Path,
    *,
    mapping: list[str] | None = None,
    preset: str | None = None,
    map_text: str | None = None,
    sheet: str | None = None,
    policy: str = "merge",
    region: str = phone_svc.DEFAULT_REGION,
    dry_run: bool = False,
    chunk_size: int = 1000,
    progress: Callable[[int, int | None], None] | None = None,
    cancel: threading.Event | None = None,
    engine: str | None = None,
    workers: int | None = None,
) -> ImportReport:
    """Import a file as one batch (or, with dry_run, compute the same report and write nothing)."""
    if policy not in POLICIES:
        raise ServiceError(_("policy must be one of {names}").format(names=", ".join(POLICIES)))
    started = time.perf_counter()
    path = Path(path)
    require_header = not (mapping or preset or map_text)
    language = i18n.language()
    if workers is None:
        workers = 1 if _file_size(path) >= PARALLEL_MIN_BYTES and (os.cpu_count() or 1) > 1 else 0
    # WORKER_NOTE: with a worker, the worker opens and reads the file and prepares its rows; this
    # process only matches and writes, and never holds the sheet.
    pool = None
    reaper: threading.Thread | None = None  # reaps the worker once it has read the whole file (REAP_NOTE)
    if workers:
        try:
            pool = _worker_pool()
        except Exception:  # noqa: BLE001 - no second process here (no semaphores, say): the file is read here
            pool = None
    table = None
    # the references broken before the import are read while the worker opens the file, in case the
    # keys are checked at the end (FK_CHECK_NOTE); cancelled when they are not
    early = _BrokenBefore.start_for_base() if pool is not None else None
    if pool is not None:
        try:
            table = Table(**pool.submit(_worker_open, str(path), sheet, engine, require_header, language, chunk_size).result())
        except ReadError:
            pool.shutdown(wait=False, cancel_futures=True)
            if early is not None:
                early.cancel()
            raise  # the file itself (opened here, it would fail the same way)
        except Exception:  # noqa: BLE001 - no worker: the file is read here
            pool.shutdown(wait=False, cancel_futures=True)
            pool = None
    if table is None:
        try:
            table = open_table(path, sheet, engine=engine, require_header=require_header)
        except BaseException:
            if early is not None:
                early.cancel()
            raise
    try:
        headers = table.headers
        if mapping is None:
            if preset:
                mapping = presets.apply(preset, headers)
            else:
                detected = presets.detect(headers)
                mapping = presets.apply(detected, headers) if detected else mapping_mod.auto_mapping(headers)
                preset = preset or detected
            if map_text:
                try:
                    mapping = mapping_mod.parse_map_option(map_text, headers, mapping)
                except mapping_mod.MappingError as exc:
                    raise ServiceError(str(exc)) from exc
        mapping = list(mapping) + [""] * (len(headers) - len(mapping))
        mapping = mapping[: len(headers)] + [""]  # the overflow column (data beyond the header) is never mapped
        if not any(c in ("full_name", "last_name", "first_name", "company", "inn") for c in mapping):
            raise ServiceError(_("no column holds a name or a company; map one (e.g. ФИО, Компания) and try again"))
        report = ImportReport(filename=str(path), policy=policy, dry_run=dry_run, headers=headers, mapping=mapping[:-1])
        big, fk_at_end, bulk = _big_import(table.total_rows or 0)  # see MEMO_NOTE, FK_CHECK_NOTE and JOURNAL_NOTE
        if early is not None:
            if not fk_at_end:
                early.cancel()
                early = None
            elif bulk and not dry_run:
                early.join()  # done by now, normally: the switch to a rollback journal needs its connection closed
        try:
            with _rollback_journal(bulk and not dry_run) as journal, _checks_at_commit(fk_at_end, early) as fk_baseline, write_tx():
                batch = ImportBatch.create(filename=path.name[:500], sheet=table.sheet, preset=preset, policy=policy,
                                           mapping=json.dumps(mapping_mod.mapping_to_dict(headers, mapping[:-1]), ensure_ascii=False),
                                           user=actor.user_id, status=ImportStatus.RUNNING)
                ctx = _Ctx(actor, batch.id, policy, region, report)
                ctx.items = []
                done = 0
                total = table.total_rows
                ctx.deferred = _defer_indexes() if big else []
                if ctx.deferred:  # see MEMO_NOTE
                    ctx.memo = _Memo()
                    ctx.memo.load()
                if journal and fk_baseline is not None:
                    # with a rollback journal, writing to the file waits for every reader: the
                    # baseline's reads end before the first chunk can spill a page (JOURNAL_NOTE)
                    fk_baseline.join()

                def process(raw_rows: list | None, prepared: list | None, cells_blob: bytes | None = None) -> None:
                    """A chunk: read here (``raw_rows``; prepared here when ``prepared`` is None), or
                    read and prepared by the worker (``prepared`` packed, the cells in ``cells_blob``)."""
                    nonlocal done
                    buf: list[RowData] = []
                    if prepared is None:
                        prepared = _prepare_rows(ctx.prep, raw_rows, mapping)
                    done += len(prepared)
                    report.rows_total += len(prepared)
                    if raw_rows is None:  # see CELLS_NOTE
                        ctx.cells_of = cells_of = _CellsOf(cells_blob)
                        for parsed in prepared:
                            if parsed.__class__ is list:
                                _rejected(report, parsed[0], cells_of(parsed[0]), parsed[1])
                                continue
                            parsed = _unpack(parsed)
                            _finish_row(ctx, parsed)
                            buf.append(parsed)
                    else:
                        ctx.cells_of = None
                        for (number, cells), parsed in zip(raw_rows, prepared):
                            if isinstance(parsed, str):
                                _rejected(report, number, cells, parsed)
                                continue
                            parsed.cells = cells
                            _finish_row(ctx, parsed)
                            buf.append(parsed)
                    if buf:
                        _Chunk(ctx, buf).run()
                    if cancel is not None and cancel.is_set():
                        raise ImportCancelled(_("the import was cancelled; nothing was written"))
                    if progress:
                        progress(done, total)

                try:
                    gc_was = gc.isenabled()
                    gc.disable()  # see GC_NOTE
                    received = 0  # rows the worker read and prepared
                    complete = False  # the worker read the whole file
                    if pool is not None:  # see WORKER_NOTE
                        job_args = (mapping, region, language)
                        jobs: collections.deque = collections.deque()
                        try:
                            # the pool's one worker runs the calls in order, each returning the next chunk
                            try:
                                for i in range(WORKER_AHEAD + 1):
                                    jobs.append(pool.submit(_worker_read, *job_args))
                            except Exception:  # noqa: BLE001 - no worker (the calls made give what they can)
                                pass
                            while jobs:
                                try:
                                    got = jobs.popleft().result()
                                except ReadError:
                                    raise  # the file itself (read here, it would fail the same way)
                                except Exception:  # noqa: BLE001 - a dead worker: the rest is read here
                                    break
                                if got is None:  # the end of the file (the calls still queued say so too)
                                    complete = True
                                    continue
                                try:
                                    jobs.append(pool.submit(_worker_read, *job_args))
                                except Exception:  # noqa: BLE001 - the worker is gone: the rest is read here
                                    pass
                                cells_blob, prepared = got
                                prepared = _unship(prepared)
                                received += len(prepared)
                                process(None, prepared, cells_blob)
                        finally:
                            for job in jobs:
                                job.cancel()
                            if complete:  # see REAP_NOTE
                                reaper = threading.Thread(target=pool.shutdown, kwargs={"wait": True, "cancel_futures": True},
                                                          name="tuicrm-import-reaper", daemon=True)
                                reaper.start()
                            else:
                                pool.shutdown(wait=False, cancel_futures=True)
                    if not complete:  # no worker, or it died: the file (the rest of it) is read here
                        source = table
                        if pool is not None:  # the worker had it open
                            source = open_table(path, sheet, engine=engine, require_header=require_header)
                            if (source.headers, source.header_row) != (table.headers, table.header_row):
                                source.close()
                                raise ServiceError(_("{name} changed while it was being imported; nothing was written").format(name=path.name))
                        rows = source.rows()
                        for _skipped in itertools.islice(rows, received):
                            pass
                        for raw in _raw_chunks(rows, chunk_size):
                            process(raw, None)
                finally:
                    if gc_was:
                        gc.enable()
                if progress:
                    progress(done, done)
                if report.rows_total == 0:
                    raise ServiceError(_("{name} has a header but no data rows").format(name=path.name))
                ctx.memo = None
                if ctx.deferred and not dry_run:  # a dry run rolls back, which brings the indexes back as they were
                    _rebuild_indexes(ctx.deferred)
                report.batch_id = batch.id
                # created cards carry import_batch; one audit row for the batch
                AuditLog.create(user=actor.user_id, entity="import", entity_id=batch.id, action="import",
                                changes=to_json({"file": [None, path.name], "created": [None, report.created],
                                                 "merged": [None, report.merged]}))
                ImportBatch.update(
                    finished_at=utcnow(), status=ImportStatus.DONE, rows_total=report.rows_total, created=report.created,
                    merged=report.merged, skipped=report.skipped + report.unchanged, rejected=report.rejected,
                    report=report.to_json(),
                ).where(ImportBatch.id == batch.id).execute()
                if fk_baseline is not None:
                    _check_foreign_keys(fk_baseline)
                if dry_run:
                    raise _DryRun()
        except _DryRun:
            report.batch_id = None
    finally:
        table.close()
        if early is not None:
            early.cancel()  # an import that failed before it needed the check (a finished one: nothing to stop)
        if reaper is not None:
            reaper.join()  # the worker left while the rows were written: normally long done
        elif pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)
    report.seconds = time.perf_counter() - started
    return report


# REAP_NOTE: once the worker has sent the file's last chunk it is told to stop, and a thread waits
# for it to exit while this process writes the last chunk, rebuilds the indexes and commits. The
# worker's exit (its interpreter freeing the caches of 100,000 rows) took 0.3 s, and the import
# used to wait for it before going on. The thread is joined at the end, so the worker is gone (and
# its CPU time counted among this process's children) when the import returns.
PARALLEL_MIN_BYTES = 1_000_000  # smaller files (≈ 20,000 rows of .xlsx) are read here: a worker costs more than it saves
# GC_NOTE: the cyclic garbage collector is paused while the chunks run. An import allocates
# millions of small tuples/lists/dicts, most of them long enough lived to be promoted, and the
# collector kept walking the growing heap (company cards, caches): a quarter of the CPU time of a
# 100,000-row import. The worker pauses it too while it reads and prepares each chunk
# (_worker_read): for 100,000 rows it ran 2,528 young, 230 middle and 21 full collections over the
# worker's caches (≈ 108k objects), ≈ 3.5 s of the worker's ≈ 11 s there (1 collection with the
# pause, and the same number of live objects at the end: nothing is left to the collector). The import makes no reference cycles of its own; its memory is freed by
# reference counting as each chunk ends, and the collector is back on when the chunks are done.

# Indexes the import never reads whose keys arrive in random order (names, words, reversed digits):
# maintained row by row they cost about a third of the inserts. On SQLite, when the file has at
# least DEFER_INDEX_RATIO times as many rows as the base has persons, they are dropped inside the
# import's transaction and created again (from sorted keys, several times cheaper) before it
# commits. Readers keep seeing the committed base with its indexes (WAL); a failed, cancelled or
# dry run rolls back, which restores them exactly; the index definitions are re-run verbatim.
DEFERRED_INDEXES = (
    "person_owner_id_name_key", "person_next_activity_at_name_key", "person_company_id",
    "company_owner_id_name_key", "company_next_activity_at_name_key", "search_token_token_kind_ref_id",
    "phone_digits_rev",
)
DEFER_INDEX_MIN_ROWS = 20_000
DEFER_INDEX_RATIO = 1.0


def _big_import(total_rows: int) -> tuple[bool, bool, bool]:
    """(a big import into a smaller SQLite base: its indexes deferred and its lookups from memory
    (MEMO_NOTE); a big import into a SQLite base at most FK_CHECK_RATIO times its size: its foreign
    keys checked once at the end (FK_CHECK_NOTE); a big import into any SQLite base: written
    through a rollback journal when it is alone on the base (JOURNAL_NOTE))."""
    db = _raw_db()
    if not isinstance(db, peewee.SqliteDatabase) or total_rows < DEFER_INDEX_MIN_ROWS:
        return False, False, False
    persons = db.execute_sql('SELECT max("id") FROM "person"').fetchone()[0] or 0
    return total_rows >= persons * DEFER_INDEX_RATIO, persons <= total_rows * FK_CHECK_RATIO, True


FK_CHECK_RATIO = 4.0


# FK_CHECK_NOTE: a multi-row INSERT into a table with foreign keys (or NOT NULL columns that abort)
# keeps a statement journal: SQLite copies every page the statement changes that existed when it
# began into a temporary file, to undo that one statement if a row fails. For the 100,000-row bench
# file that was 176,000 writes (≈ 360 MB) to the journal, ≈ 0.7–1.0 s of the importing process's
# system time; into the large base, 2.4 s of system time. A failed row aborts the whole import
# anyway (one transaction), so the inserts say INSERT OR FAIL (a failed row stops the statement,
# keeping no undo for it), and a big import (DEFER_INDEX_MIN_ROWS rows or more) into a SQLite base
# of at most FK_CHECK_RATIO times as many persons runs with foreign keys off and checks them all
# once before it commits: ``PRAGMA foreign_key_check`` of every table it writes. That reads the
# whole tables: 0.09 s after the 100,000-row import into an empty base, 0.44 s on the large base
# (200,000 persons, 400,000 phones), whose import went from 10.0–10.2 s to 8.8–8.9 s. A broken
# reference (an importer bug) fails the import and nothing is written, as an enforced key would.
# References broken before the import (by hand, say: tuicrm itself always enforces its keys) are
# not the import's: they are found first, by a thread reading the base as it was while the import
# starts (``_BrokenBefore``), and left out of the check. Smaller imports, imports into much bigger
# bases, and PostgreSQL keep the keys enforced row by row. The pragma cannot change inside a
# transaction, so it is set before the import's transaction and put back after it.
_FK_CHECKED = ("company", "person", "phone", "email", "person_tag", "company_tag", "tag", "note", "deal",
               "stage_change", "audit_log", "import_batch", "import_item", "search_token")


class _BrokenBefore(threading.Thread):
    """The references already broken before the import (FK_CHECK_NOTE): ``PRAGMA foreign_key_check``
    of the base as it was, on a read-only connection of its own, in a thread that runs while the
    worker opens the file, or while the import starts (the check reads whole tables; SQLite lets
    the thread go while it does)."""

    def __init__(self, path: str):
        super().__init__(name="tuicrm-import-fk-baseline", daemon=True)
        self.path = path
        self.found: set[tuple] | None = None
        self._con: sqlite3.Connection | None = None
        self._cancelled = False
        self._lock = threading.Lock()

    @classmethod
    def start_for_base(cls) -> "_BrokenBefore | None":
        """Started on this connection's base when it is a SQLite file with its keys on and no
        transaction open (the base an import may check at the end), else None."""
        db = _raw_db()
        if isinstance(db, peewee.SqliteDatabase) and not db.connection().in_transaction \
                and db.database not in ("", ":memory:") and not str(db.database).startswith("file:") \
                and db.execute_sql("PRAGMA foreign_keys").fetchone()[0] == 1:
            baseline = cls(db.database)
            baseline.start()
            return baseline
        return None

    def run(self) -> None:
        try:
            con = sqlite3.connect(Path(self.path).resolve().as_uri() + "?mode=ro", uri=True, timeout=30)
            with self._lock:
                if self._cancelled:
                    con.close()
                    return
                self._con = con
            try:
                found: set[tuple] = set()
                for table in _FK_CHECKED:
                    found.update(tuple(row) for row in con.execute(f'PRAGMA foreign_key_check("{table}")'))
                self.found = found
            finally:
                with self._lock:
                    self._con = None
                con.close()
        except Exception:  # noqa: BLE001 - no baseline: every broken reference found at the end is the import's
            self.found = None

    def cancel(self) -> None:
        """Stop the check (not needed after all) and wait for its connection to close."""
        with self._lock:
            self._cancelled = True
            if self._con is not None:
                self._con.interrupt()
        self.join()


# JOURNAL_NOTE: a base in WAL mode takes every page an import writes twice: into the WAL, and then
# into the base by the checkpoint at commit. For the 100,000-row bench file that is ≈ 137 MB twice,
# and the checkpoint alone took 0.3–0.4 s, with the second core idle. A rollback journal writes a new
# page once, into the base (it keeps a copy only of the pages that existed before: few, in a new
# base), and it is SQLite's own atomic commit: a failed import rolls back, and one killed half way
# leaves a "hot" journal that the next connection rolls back before it reads anything. So a big
# import (DEFER_INDEX_MIN_ROWS rows or more) into a file base switches it to a rollback journal
# (synchronous FULL, as rollback journals need to survive a power cut) for its transaction and
# back to WAL after, also when it fails. It does so only when it is alone on the base: SQLite
# cannot leave WAL while another connection has the base open (the app, a teammate's tuicrm), and
# the switch is tried without waiting. While it runs, another connection can read the base until
# the import first writes to the file, and then waits for it, as it would for any writer (a new
# tuicrm waits up to its 5 s busy timeout, then says the base is locked). The switch saved
# 0.4–0.6 s of a 6–7 s import into an empty base (the commit 0.35 → 0.09 s, system time
# 0.6 → 0.4 s), and 0.4–1.8 s of a 9–11 s import into the large base.
@contextlib.contextmanager
def _rollback_journal(on: bool):
    """A rollback journal for a big import's transaction, when this connection is alone on a file
    base in WAL mode (JOURNAL_NOTE); yields whether it switched."""
    db = _raw_db()
    switched = False
    if on and isinstance(db, peewee.SqliteDatabase) and not db.connection().in_transaction \
            and db.database not in ("", ":memory:") and not str(db.database).startswith("file:") \
            and str(db.execute_sql("PRAGMA journal_mode").fetchone()[0]).lower() == "wal":
        busy = db.execute_sql("PRAGMA busy_timeout").fetchone()[0]
        sync = db.execute_sql("PRAGMA synchronous").fetchone()[0]
        db.execute_sql("PRAGMA busy_timeout = 0")  # another connection open: fail at once, stay in WAL
        try:
            switched = str(db.execute_sql("PRAGMA journal_mode = DELETE").fetchone()[0]).lower() == "delete"
        except peewee.OperationalError:
            switched = False
        finally:
            db.execute_sql(f"PRAGMA busy_timeout = {int(busy)}")
        if switched:
            db.execute_sql("PRAGMA synchronous = FULL")
    try:
        yield switched
    finally:
        if switched:
            db.execute_sql(f"PRAGMA synchronous = {int(sync)}")
            try:
                db.execute_sql("PRAGMA journal_mode = WAL")
            except peewee.OperationalError:  # still locked after the busy timeout: the next connection sets WAL (SQLITE_PRAGMAS)
                pass


@contextlib.contextmanager
def _checks_at_commit(at_end: bool, baseline: _BrokenBefore | None = None):
    """Foreign keys off on this connection for a big import (FK_CHECK_NOTE); yields the check of the
    references broken before it (``_BrokenBefore``: ``baseline``, started early, or started here),
    or None when the keys stay on."""
    db = _raw_db()
    if at_end and baseline is None:
        baseline = _BrokenBefore.start_for_base()
    if baseline is not None:
        db.execute_sql("PRAGMA foreign_keys = 0")
    try:
        yield baseline
    finally:
        if baseline is not None:
            db.execute_sql("PRAGMA foreign_keys = 1")


def _check_foreign_keys(baseline: _BrokenBefore) -> None:
    """Every reference of the tables an import writes points at a row, but for those already broken
    before it (FK_CHECK_NOTE)."""
    db = _raw_db()
    baseline.join()
    before = baseline.found or set()
    for table in _FK_CHECKED:
        bad = [row for row in db.execute_sql(f'PRAGMA foreign_key_check("{table}")') if tuple(row) not in before][:3]
        if bad:
            where = ", ".join(f"{t} #{rowid} → {parent}" for t, rowid, parent, _fk in bad)
            raise ServiceError(_("the import would leave rows pointing at records that do not exist ({where}); "
                                 "nothing was written").format(where=where))


def _defer_indexes() -> list[tuple[str, str]]:
    """Drop the deferred indexes for a big import into a smaller SQLite base (``_big_import``), and
    the ones the lookups read (MEMO_INDEXES: the lookups then come from memory); returns (name, sql)."""
    db = _raw_db()
    names = DEFERRED_INDEXES + MEMO_INDEXES  # the last ones with the lookups from memory (MEMO_NOTE)
    marks = ",".join("?" * len(names))
    found = db.execute_sql(f"SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL AND name IN ({marks})",
                           list(names)).fetchall()
    for name, _sql in found:
        db.execute_sql(f'DROP INDEX "{name}"')
    return found


REBUILD_CACHE_KIB = 16_000  # see REBUILD_NOTE


def _rebuild_indexes(deferred: list[tuple[str, str]]) -> None:
    """Create the deferred indexes again. REBUILD_NOTE: SQLite sorts an index's keys in memory up to
    the connection's cache size (64 MB) before it spills to a temporary file, on top of the pages the
    cache already holds: a 1,000,000-row import peaked at 324 MB in the importing process (305 MB before
    the lookups from memory). With the cache set to 16 MB while they are built the sort reuses the
    cache's own memory: 272 MB for the same import, and a 100,000-row rebuild takes 1.0 s either way
    (+26 MB → +0 MB). The setting is restored after."""
    if not deferred:
        return
    db = _raw_db()
    was = int(db.execute_sql("PRAGMA cache_size").fetchone()[0])  # KiB when negative, pages when positive
    kib = -was if was < 0 else was * int(db.execute_sql("PRAGMA page_size").fetchone()[0]) // 1024
    if kib > REBUILD_CACHE_KIB:
        db.execute_sql(f"PRAGMA cache_size = {-REBUILD_CACHE_KIB}")
    try:
        for _name, sql in deferred:
            db.execute_sql(sql)
    finally:
        db.execute_sql(f"PRAGMA cache_size = {was}")


WORKER_AHEAD = 2  # chunks the worker may prepare ahead of the one being written (bounded memory)


def _raw_chunks(rows, size: int):
    """Lists of up to ``size`` (number, cells) of an iterator of rows (``Table.rows()``)."""
    buf = []
    for item in rows:
        buf.append(item)
        if len(buf) >= size:
            yield buf
            buf = []
    if buf:
        yield buf


_WORKER_PREP: _Prep | None = None  # in the worker process: its caches live across chunks


def _worker_prepare(raw_rows: list, mapping: list[str], region: str, language: str) -> list:
    """In the worker process: prepare a chunk's rows (messages in the importing session's language)."""
    global _WORKER_PREP
    if i18n.language() != language:
        i18n.set_language(language)
    if _WORKER_PREP is None or _WORKER_PREP.region != region:
        _WORKER_PREP = _Prep(region)
    return _prepare_rows(_WORKER_PREP, raw_rows, mapping, keep_cells=False)


_WORKER_CHUNKS = None  # in the worker process: the chunks of the file being read (_worker_open, _worker_read)


def _worker_open(path: str, sheet: str | None, engine: str | None, require_header: bool, language: str, chunk_size: int) -> dict:
    """In the worker process: open the file (as ``open_table``; a ReadError is the import's) and
    return what the importing process needs of it (header, sheet, row estimate), without rows."""
    global _WORKER_CHUNKS
    if i18n.language() != language:
        i18n.set_language(language)
    table = open_table(path, sheet, engine=engine, require_header=require_header)
    _WORKER_CHUNKS = _raw_chunks(table.rows(), chunk_size)
    return {f.name: getattr(table, f.name) for f in dataclasses.fields(Table) if f.name not in ("_rows", "_close")}


def _worker_read(mapping: list[str], region: str, language: str):
    """In the worker process: the next chunk of the file opened by ``_worker_open``, read and
    prepared, as (its (number, cells) pickled (CELLS_NOTE), its prepared rows marshalled (SHIP_NOTE)),
    or None at its end. The pool has one worker, which runs the calls in the order they were made."""
    global _WORKER_CHUNKS
    if _WORKER_CHUNKS is None:
        return None
    gc_was = gc.isenabled()
    gc.disable()  # see GC_NOTE: here too the collector walked the caches (parsed phones) for every chunk
    try:
        raw = next(_WORKER_CHUNKS, None)
        if raw is None:
            _WORKER_CHUNKS = None
            return None
        # packed here, with the collector still paused: the pool pickles what a call returns after
        # it, with the collector on, and that walked the caches again (≈ 1 s of 100,000 rows); two
        # bytes objects cost it nothing
        return (pickle.dumps(raw, protocol=pickle.HIGHEST_PROTOCOL), _ship(_worker_prepare(raw, mapping, region, language)))
    finally:
        if gc_was:
            gc.enable()


def _file_size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def _worker_pool():
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    _start_resource_tracker()
    # spawn: a fresh interpreter (never a fork of a process holding a database connection and
    # threads), a direct child, so its CPU time shows in the importing process's RUSAGE_CHILDREN
    return ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"))


_TRACKER_LOCK = threading.Lock()


def _start_resource_tracker() -> None:
    """TRACKER_NOTE: the pool's queues need multiprocessing's resource tracker, a process started on
    first use with ``sys.stderr.fileno()`` among the descriptors it keeps. In the app, Textual has
    replaced sys.stderr with a capture whose fileno() is -1: starting the tracker failed ("bad
    value(s) in fds_to_keep") and an import from the Import screen never ran. Where sys.stderr has
    no descriptor, the tracker is started here with the process's own stderr (descriptor 2, the
    one the tracker inherits anyway) in its place for that moment."""
    try:
        if sys.stderr is not None and sys.stderr.fileno() >= 0:
            return  # the tracker starts itself as usual
    except (AttributeError, ValueError, OSError):
        pass
    from multiprocessing import resource_tracker

    real = sys.__stderr__
    with _TRACKER_LOCK:
        was = sys.stderr
        try:
            if real is not None:
                sys.stderr = real
            resource_tracker.ensure_running()
        finally:
            sys.stderr = was


def list_batches(limit: int = 50) -> list[ImportBatch]:
    return list(ImportBatch.select().order_by(ImportBatch.id.desc()).limit(limit))


__all__ = ["run_import", "prepare", "ImportReport", "Prepared", "ReadError", "Table", "POLICIES", "list_batches",
           "ImportCancelled", "peewee"]
