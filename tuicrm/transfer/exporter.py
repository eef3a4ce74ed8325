"""Export to .xlsx (openpyxl write-only: streamed, frozen header, widths, phones as text, dates as
dates, money as numbers) or .csv (UTF-8 with BOM, ';' — what Excel in a Russian locale opens).

``export_table(path, headers, rows, number_formats=...)`` is the generic writer (reports reuse it);
``export_entity(actor, what, path)`` writes persons / companies / deals / activities with headers
the importer recognizes, so an exported file imports back without duplicates. Tables are read
in pages by id, never whole.
"""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path
from typing import Iterable, Iterator

import peewee

from tuicrm.i18n import _
from tuicrm.model import Activity, Company, CompanyTag, Deal, Email, Person, PersonTag, Phone, Stage, Tag, User
from tuicrm.services.base import Actor, ServiceError
from tuicrm.services.queries import visible

PAGE = 2000
TEXT, DATE, DATETIME, MONEY, INT = "@", "dd.mm.yyyy", "dd.mm.yyyy hh:mm", "#,##0.00", "0"
WHAT = ("persons", "companies", "deals", "activities")


def _cell_text(v) -> str:
    if v is None:
        return ""
    if isinstance(v, dt.datetime):
        return v.strftime("%Y-%m-%d %H:%M")
    if isinstance(v, dt.date):
        return v.strftime("%d.%m.%Y")
    if isinstance(v, float):
        return f"{v:.2f}"
    return str(v)


def export_table(path: str | Path, headers: list[str], rows: Iterable[Iterable], *,
                 number_formats: dict[int, str] | None = None, sheet: str = "Sheet1") -> int:
    """Write a table; returns the number of data rows. ``number_formats``: column index → Excel format
    (TEXT keeps digits such as phones as text; DATE/DATETIME/MONEY/INT)."""
    path = Path(path)
    formats = number_formats or {}
    suffix = path.suffix.lower()
    n = 0
    tmp = path.with_name(path.name + ".part")
    try:
        if suffix == ".csv":
            with tmp.open("w", encoding="utf-8-sig", newline="") as fh:
                w = csv.writer(fh, delimiter=";")
                w.writerow(headers)
                for row in rows:
                    w.writerow([_cell_text(v) for v in row])
                    n += 1
        elif suffix in (".xlsx", ".xlsm"):
            n = _write_xlsx(tmp, headers, rows, formats, sheet)
        else:
            raise ServiceError(_("export writes .xlsx or .csv, not {suffix!r}").format(suffix=suffix or path.name))
        tmp.replace(path)
    finally:
        if tmp.exists():
            tmp.unlink()
    return n


def _write_xlsx(path: Path, headers: list[str], rows: Iterable[Iterable], formats: dict[int, str], sheet: str) -> int:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    wb = Workbook(write_only=True)
    ws = wb.create_sheet(title=sheet[:31] or "Sheet1")
    ws.freeze_panes = "A2"
    widths = [max(8, min(60, len(h) + 2)) for h in headers]
    # widths must be set before rows are written: take them from the header and the formats
    for i, fmt in formats.items():
        if i < len(widths):
            widths[i] = max(widths[i], {DATE: 11, DATETIME: 17, MONEY: 14, TEXT: 18}.get(fmt, 10))
    for i, w in enumerate(widths):
        ws.column_dimensions[get_column_letter(i + 1)].width = w
    bold = Font(bold=True)
    head = []
    for h in headers:
        c = WriteOnlyCell(ws, value=h)
        c.font = bold
        head.append(c)
    ws.append(head)
    n = 0
    for row in rows:
        out = []
        for i, v in enumerate(row):
            fmt = formats.get(i)
            if fmt == TEXT and v is not None and not isinstance(v, str):
                v = str(v)
            if isinstance(v, str) and v.startswith("="):  # data, never a formula
                c = WriteOnlyCell(ws, value=v)
                c.data_type = "s"
                if fmt:
                    c.number_format = fmt
                out.append(c)
            elif fmt and v is not None:
                c = WriteOnlyCell(ws, value=v)
                c.number_format = fmt
                out.append(c)
            else:
                out.append(v)
        ws.append(out)
        n += 1
    wb.save(path)
    return n


# --- entities ------------------------------------------------------------------------------------


def _pages(query: peewee.ModelSelect, model) -> Iterator[list]:
    last = 0
    while True:
        page = list(query.where(model.id > last).order_by(model.id).limit(PAGE))
        if not page:
            return
        yield page
        last = page[-1].id


def _phones_by(owner_field, ids) -> dict[int, dict[str, list[str]]]:
    out: dict[int, dict[str, list[str]]] = {}
    for oid, raw, kind, ext in (Phone.select(owner_field, Phone.raw, Phone.kind, Phone.extension)
                                .where(owner_field.in_(ids)).order_by(Phone.position, Phone.id).tuples()):
        text = raw if not ext or ext in raw else f"{raw} доб. {ext}"
        out.setdefault(oid, {}).setdefault(kind if kind in ("mobile", "work", "home", "fax") else "other", []).append(text)
    return out


def _emails_by(owner_field, ids) -> dict[int, list[str]]:
    out: dict[int, list[str]] = {}
    for oid, addr in Email.select(owner_field, Email.address).where(owner_field.in_(ids)).order_by(Email.position, Email.id).tuples():
        out.setdefault(oid, []).append(addr)
    return out


def _tags_by(link, link_field, ids) -> dict[int, list[str]]:
    out: dict[int, list[str]] = {}
    q = Tag.select(link_field, Tag.name).join(link, on=(link.tag == Tag.id)).where(link_field.in_(ids)).order_by(Tag.name)
    for oid, name in q.tuples():
        out.setdefault(oid, []).append(name)
    return out


def _users() -> dict[int, str]:
    return {uid: name for uid, name in User.select(User.id, User.name).tuples()}


PHONE_COLS = [("mobile", "Mobile phone"), ("work", "Work phone"), ("home", "Home phone"), ("fax", "Fax"), ("other", "Phone")]


def persons_table(actor: Actor, include_archived: bool = False):
    headers = [_("Full name"), _("Last name"), _("First name"), _("Middle name"), _("Position"), _("Company"), _("INN")] + \
              [_(label) for _k, label in PHONE_COLS] + [_("Email"), _("Birthday"), _("Tags"), _("Owner"), _("Source")]
    formats = {7 + i: TEXT for i in range(len(PHONE_COLS))}
    formats[6] = TEXT
    formats[13] = DATE
    users = _users()

    def rows():
        q = (Person.select(Person, Company.name.alias("cname"), Company.inn.alias("cinn"))
             .join(Company, peewee.JOIN.LEFT_OUTER, on=(Person.company == Company.id)).where(visible(Person, actor)).objects())
        if not include_archived:
            q = q.where(Person.archived_at.is_null())
        for page in _pages(q, Person):
            ids = [p.id for p in page]
            ph, em, tg = _phones_by(Phone.person, ids), _emails_by(Email.person, ids), _tags_by(PersonTag, PersonTag.person, ids)
            for p in page:
                phones = ph.get(p.id, {})
                yield [p.full_name, p.last_name, p.first_name, p.middle_name, p.position,
                       getattr(p, "cname", None), getattr(p, "cinn", None)] + \
                      ["; ".join(phones.get(k, [])) or None for k, _l in PHONE_COLS] + \
                      ["; ".join(em.get(p.id, [])) or None, p.birthday, ", ".join(tg.get(p.id, [])) or None,
                       users.get(p.owner_id), p.source]

    return headers, rows(), formats


def companies_table(actor: Actor, include_archived: bool = False):
    headers = [_("Company"), _("INN"), _("KPP"), _("Address"), _("Site"), _("Industry")] + \
              [_(label) for _k, label in PHONE_COLS] + [_("Email"), _("Tags"), _("Owner"), _("Source")]
    formats = {1: TEXT, 2: TEXT, **{6 + i: TEXT for i in range(len(PHONE_COLS))}}
    users = _users()

    def rows():
        q = Company.select().where(visible(Company, actor))
        if not include_archived:
            q = q.where(Company.archived_at.is_null())
        for page in _pages(q, Company):
            ids = [c.id for c in page]
            ph, em, tg = _phones_by(Phone.company, ids), _emails_by(Email.company, ids), _tags_by(CompanyTag, CompanyTag.company, ids)
            for c in page:
                phones = ph.get(c.id, {})
                yield [c.name, c.inn, c.kpp, c.address, c.site, c.industry] + \
                      ["; ".join(phones.get(k, [])) or None for k, _l in PHONE_COLS] + \
                      ["; ".join(em.get(c.id, [])) or None, ", ".join(tg.get(c.id, [])) or None, users.get(c.owner_id), c.source]

    return headers, rows(), formats


def _by_id(model, fields, ids: set) -> dict:
    """{id: value} of one field (or {id: tuple} of several) for the rows of a page that link to
    ``model``: one query per page, none when nothing links."""
    ids = [i for i in ids if i]
    if not ids:
        return {}
    if isinstance(fields, tuple):
        return {row[0]: row[1:] for row in model.select(model.id, *fields).where(model.id.in_(ids)).tuples()}
    return dict(model.select(model.id, fields).where(model.id.in_(ids)).tuples())


def deals_table(actor: Actor, include_archived: bool = False):
    headers = [_("Deal title"), _("Amount"), _("Currency"), _("Stage"), _("Company"), _("INN"), _("Full name"),
               _("Owner"), _("Expected close"), _("Created")]
    formats = {1: MONEY, 5: TEXT, 8: DATE, 9: DATE}
    users = _users()
    stages = {sid: name for sid, name in Stage.select(Stage.id, Stage.name).tuples()}

    def rows():
        q = Deal.select()
        if not actor.sees_all:
            q = q.where(Deal.owner == actor.user_id)
        if not include_archived:
            q = q.where(Deal.archived_at.is_null())
        for page in _pages(q, Deal):
            comps = _by_id(Company, (Company.name, Company.inn), {d.company_id for d in page})
            pers = _by_id(Person, Person.full_name, {d.person_id for d in page})
            for d in page:
                cname, cinn = comps.get(d.company_id, (None, None))
                yield [d.title, d.amount_minor / 100, d.currency, stages.get(d.stage_id), cname, cinn, pers.get(d.person_id),
                       users.get(d.owner_id), d.expected_close, d.created_at.date() if d.created_at else None]

    return headers, rows(), formats


def activities_table(actor: Actor, include_archived: bool = False):
    headers = [_("Kind"), _("Subject"), _("Due"), _("Done"), _("Outcome"), _("Result"), _("Full name"), _("Company"),
               _("Deal title"), _("Assignee")]
    formats = {2: DATETIME, 3: DATETIME}
    users = _users()

    def rows():
        q = Activity.select()
        if not actor.sees_all:
            q = q.where(Activity.assignee == actor.user_id)
        if not include_archived:
            q = q.where(Activity.archived_at.is_null())
        for page in _pages(q, Activity):
            comps = _by_id(Company, Company.name, {a.company_id for a in page})
            pers = _by_id(Person, Person.full_name, {a.person_id for a in page})
            deals = _by_id(Deal, Deal.title, {a.deal_id for a in page})
            for a in page:
                yield [a.kind, a.subject, a.due_at, a.done_at, a.outcome, a.result, pers.get(a.person_id),
                       comps.get(a.company_id), deals.get(a.deal_id), users.get(a.assignee_id)]

    return headers, rows(), formats


TABLES = {"persons": persons_table, "companies": companies_table, "deals": deals_table, "activities": activities_table}


def export_entity(actor: Actor, what: str, path: str | Path, *, include_archived: bool = False) -> int:
    if what not in TABLES:
        raise ServiceError(_("export what? one of: {names}").format(names=", ".join(WHAT)))
    headers, rows, formats = TABLES[what](actor, include_archived)
    return export_table(path, headers, rows, number_formats=formats, sheet=_(what.capitalize()))


def write_rejected(path: str | Path, headers: list[str], rejected: list[tuple[int, list, str]]) -> int:
    """The rejected rows with their original columns, the row number and the reason — to fix and re-import."""
    head = list(headers) + [_("Row"), _("Reason")]
    width = len(headers)

    def rows():
        for number, cells, reason in rejected:
            cells = list(cells[:width]) + [None] * max(0, width - len(cells))
            yield cells + [number, reason]

    return export_table(path, head, rows(), number_formats={i: TEXT for i in range(width) if False}, sheet=_("Rejected"))
