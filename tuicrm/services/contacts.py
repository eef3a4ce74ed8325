"""Persons and companies: create, edit, phones, emails, tags, duplicates, archive, search index."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Iterable

import peewee

from tuicrm.db.connection import write_tx
from tuicrm.model import Company, CompanyTag, Email, Person, PersonTag, Phone, SearchToken, Tag, utcnow
from tuicrm.model.enums import Entity, PhoneKind, Visibility
from tuicrm.services import phones as phone_svc
from tuicrm.services.base import (
    Actor,
    NotFound,
    ValidationError,
    audit,
    diff,
    search_key,
    tokens,
    versioned_update,
)

EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
INN_RE = re.compile(r"^(\d{10}|\d{12})$")


@dataclass(frozen=True)
class PhoneIn:
    raw: str
    kind: str | None = None
    extension: str | None = None


@dataclass(frozen=True)
class CardRef:
    kind: str  # "person" / "company"
    id: int
    name: str
    reason: str = ""  # why it matched (duplicate checks)


# --- visibility -------------------------------------------------------------------------------


def visible(model: type[Person] | type[Company], actor: Actor) -> peewee.Expression:
    """Cards the actor may see: all for heads/admins; shared ones and their own for managers."""
    if actor.sees_all:
        return peewee.SQL("1 = 1")
    return (model.visibility == Visibility.SHARED) | (model.owner == actor.user_id)


# --- names -----------------------------------------------------------------------------------


def split_full_name(full: str) -> tuple[str, str, str]:
    """'Иванов Иван Иванович' → (last, first, middle); two words → (last, first, '')."""
    words = full.split()
    if len(words) >= 3:
        return words[0], words[1], " ".join(words[2:])
    if len(words) == 2:
        return words[0], words[1], ""
    return (words[0] if words else ""), "", ""


def compose_full_name(last: str, first: str, middle: str) -> str:
    return " ".join(p for p in (last.strip(), first.strip(), middle.strip()) if p)


def reindex_person(person_id: int) -> None:
    row = (
        Person.select(Person.full_name, Person.position, Company.name)
        .join(Company, peewee.JOIN.LEFT_OUTER, on=(Person.company == Company.id))
        .where(Person.id == person_id)
        .tuples()
        .first()
    )
    SearchToken.delete().where((SearchToken.kind == "p") & (SearchToken.ref_id == person_id)).execute()
    if row is None:
        return
    full_name, _position, company_name = row
    words = tokens(full_name) + [t for t in tokens(company_name) if t not in tokens(full_name)]
    if words:
        SearchToken.insert_many([(w, "p", person_id) for w in words], fields=[SearchToken.token, SearchToken.kind, SearchToken.ref_id]).execute()


def reindex_company(company_id: int, with_persons: bool = False) -> None:
    name = Company.select(Company.name).where(Company.id == company_id).scalar()
    SearchToken.delete().where((SearchToken.kind == "c") & (SearchToken.ref_id == company_id)).execute()
    if name is not None:
        words = tokens(name)
        if words:
            SearchToken.insert_many([(w, "c", company_id) for w in words], fields=[SearchToken.token, SearchToken.kind, SearchToken.ref_id]).execute()
    if with_persons:
        for (pid,) in Person.select(Person.id).where(Person.company == company_id).tuples():
            reindex_person(pid)


# --- phones and emails -------------------------------------------------------------------------


def _phone_rows(
    parsed: Iterable[phone_svc.ParsedPhone], kind: str | None, *, person_id=None, company_id=None, start: int = 0, primary_first: bool = False
) -> list[dict]:
    rows = []
    for i, p in enumerate(parsed):
        rows.append(
            dict(
                person=person_id,
                company=company_id,
                raw=p.raw[:500],
                e164=p.e164,
                extension=p.extension,
                digits_rev=p.digits_rev[:40],
                kind=kind or p.kind or (PhoneKind.MOBILE if p.is_valid else PhoneKind.OTHER),
                is_valid=p.is_valid,
                invalid_reason=p.reason,
                note=(p.note or None) and p.note[:200],
                is_primary=primary_first and i == 0,
                position=start + i,
            )
        )
    return rows


def add_phones(
    actor: Actor, raw: object, kind: str | None = None, *, person_id: int | None = None, company_id: int | None = None,
    region: str = phone_svc.DEFAULT_REGION, extension: str | None = None,
) -> list[int]:
    """Add every number found in ``raw`` to a card; unparseable ones are kept raw and flagged."""
    if (person_id is None) == (company_id is None):
        raise ValueError("exactly one of person_id, company_id")
    parsed = phone_svc.parse_cell(raw, region)
    if not parsed:
        raise ValidationError("no phone number given", "phone")
    owner_filter = (Phone.person == person_id) if person_id else (Phone.company == company_id)
    existing = Phone.select(Phone.e164, Phone.raw, Phone.position).where(owner_filter)
    have_e164 = {p.e164 for p in existing if p.e164}
    have_raw = {p.raw for p in existing}
    start = max((p.position for p in existing), default=-1) + 1
    fresh = [p for p in parsed if (p.e164 not in have_e164 if p.e164 else p.raw not in have_raw)]
    rows = _phone_rows(fresh, kind, person_id=person_id, company_id=company_id, start=start, primary_first=not have_raw)
    if extension:
        for r in rows:
            r["extension"] = r["extension"] or extension
    ids = []
    with write_tx():
        for r in rows:
            ids.append(Phone.insert(**r).execute())
        entity, eid = (Entity.PERSON, person_id) if person_id else (Entity.COMPANY, company_id)
        if ids:
            audit(actor, entity, eid, "add_phone", {"phones": [r["raw"] for r in rows]})
    return ids


def normalize_email(address: str) -> tuple[str, bool]:
    address = address.strip().strip("<>").strip()
    return address, bool(EMAIL_RE.match(address))


def split_emails(value: object) -> list[str]:
    text = phone_svc.cell_to_text(value)
    return [e for e in (p.strip().strip("<>") for p in re.split(r"[;,\s]+", text)) if e]


def add_emails(actor: Actor, raw: object, kind: str = "work", *, person_id=None, company_id=None, strict: bool = True) -> list[int]:
    if (person_id is None) == (company_id is None):
        raise ValueError("exactly one of person_id, company_id")
    owner_filter = (Email.person == person_id) if person_id else (Email.company == company_id)
    have = {e.address_lower for e in Email.select(Email.address_lower).where(owner_filter)}
    ids = []
    with write_tx():
        position = Email.select(peewee.fn.COUNT(Email.id)).where(owner_filter).scalar()
        for address in split_emails(raw):
            address, ok = normalize_email(address)
            if not ok and strict:
                raise ValidationError(f"{address!r} is not an email address", "email")
            if address.lower() in have:
                continue
            have.add(address.lower())
            ids.append(
                Email.insert(
                    person=person_id, company=company_id, address=address[:254], address_lower=address.lower()[:254],
                    kind=kind, is_valid=ok, is_primary=position == 0, position=position,
                ).execute()
            )
            position += 1
    return ids


# --- tags --------------------------------------------------------------------------------------


def split_tags(value: object) -> list[str]:
    text = phone_svc.cell_to_text(value)
    return [t.strip() for t in re.split(r"[;,#\n]+", text) if t.strip()]


def tag_ids(names: Iterable[str]) -> list[int]:
    out = []
    for name in names:
        name = name.strip()[:100]
        if not name:
            continue
        key = search_key(name)
        tag = Tag.get_or_none(Tag.name_key == key)
        if tag is None:
            tag = Tag.create(name=name, name_key=key)
        out.append(tag.id)
    return out


def set_tags(actor: Actor, names: Iterable[str], *, person_id=None, company_id=None) -> None:
    ids = tag_ids(names)
    with write_tx():
        if person_id:
            PersonTag.delete().where(PersonTag.person == person_id).execute()
            for t in dict.fromkeys(ids):
                PersonTag.insert(person=person_id, tag=t).execute()
            audit(actor, Entity.PERSON, person_id, "tags", {"tags": list(names)})
        else:
            CompanyTag.delete().where(CompanyTag.company == company_id).execute()
            for t in dict.fromkeys(ids):
                CompanyTag.insert(company=company_id, tag=t).execute()
            audit(actor, Entity.COMPANY, company_id, "tags", {"tags": list(names)})


def add_tags(actor: Actor, names: Iterable[str], *, person_id=None, company_id=None) -> None:
    ids = tag_ids(names)
    with write_tx():
        for t in ids:
            if person_id:
                PersonTag.insert(person=person_id, tag=t).on_conflict_ignore().execute()
            else:
                CompanyTag.insert(company=company_id, tag=t).on_conflict_ignore().execute()


def tags_of(*, person_id=None, company_id=None) -> list[str]:
    if person_id:
        q = Tag.select(Tag.name).join(PersonTag, on=(PersonTag.tag == Tag.id)).where(PersonTag.person == person_id)
    else:
        q = Tag.select(Tag.name).join(CompanyTag, on=(CompanyTag.tag == Tag.id)).where(CompanyTag.company == company_id)
    return [name for (name,) in q.order_by(Tag.name).tuples()]


# --- duplicates ----------------------------------------------------------------------------------


def find_duplicates(
    actor: Actor | None = None,
    *,
    phones: Iterable[str] = (),
    emails: Iterable[str] = (),
    inn: str | None = None,
    region: str = phone_svc.DEFAULT_REGION,
    exclude: tuple[str, int] | None = None,
) -> list[CardRef]:
    """Cards that already hold one of these phones (by E.164), emails or this tax id."""
    found: dict[tuple[str, int], CardRef] = {}
    e164s = {p.e164: p.raw for raw in phones for p in phone_svc.parse_cell(raw, region) if p.e164}
    if e164s:
        q = (
            Phone.select(Phone.e164, Phone.person, Phone.company, Person.full_name, Company.name)
            .join(Person, peewee.JOIN.LEFT_OUTER, on=(Phone.person == Person.id))
            .switch(Phone)
            .join(Company, peewee.JOIN.LEFT_OUTER, on=(Phone.company == Company.id))
            .where(Phone.e164.in_(list(e164s)))
            .where(Person.archived_at.is_null() & Company.archived_at.is_null())
            .tuples()
        )
        for e164, pid, cid, pname, cname in q:
            key = ("person", pid) if pid else ("company", cid)
            found.setdefault(key, CardRef(key[0], key[1], pname or cname, f"phone {e164s[e164]}"))
    lowered = [e.strip().lower() for e in emails if e.strip()]
    if lowered:
        q = (
            Email.select(Email.address, Email.person, Email.company, Person.full_name, Company.name)
            .join(Person, peewee.JOIN.LEFT_OUTER, on=(Email.person == Person.id))
            .switch(Email)
            .join(Company, peewee.JOIN.LEFT_OUTER, on=(Email.company == Company.id))
            .where(Email.address_lower.in_(lowered))
            .where(Person.archived_at.is_null() & Company.archived_at.is_null())
            .tuples()
        )
        for address, pid, cid, pname, cname in q:
            key = ("person", pid) if pid else ("company", cid)
            found.setdefault(key, CardRef(key[0], key[1], pname or cname, f"email {address}"))
    if inn and inn.strip():
        for c in Company.select(Company.id, Company.name).where((Company.inn == inn.strip()) & Company.archived_at.is_null()):
            found.setdefault(("company", c.id), CardRef("company", c.id, c.name, f"tax id {inn.strip()}"))
    if exclude:
        found.pop(exclude, None)
    return list(found.values())


# --- create / update ---------------------------------------------------------------------------


def _clean(value: str | None) -> str | None:
    if value is None:
        return None
    value = str(value).strip()
    return value or None


def validate_inn(inn: str | None) -> str | None:
    inn = _clean(inn)
    if inn is None:
        return None
    inn = re.sub(r"\s", "", inn)
    if not INN_RE.match(inn):
        raise ValidationError("a tax id (ИНН) has 10 digits (organization) or 12 (individual)", "inn")
    return inn


def create_company(
    actor: Actor,
    name: str,
    *,
    inn: str | None = None,
    kpp: str | None = None,
    address: str | None = None,
    site: str | None = None,
    industry: str | None = None,
    segment: str | None = None,
    source: str | None = None,
    owner_id: int | None = None,
    visibility: str = Visibility.SHARED,
    phones: Iterable[PhoneIn | str] = (),
    emails: Iterable[str] = (),
    tags: Iterable[str] = (),
    region: str = phone_svc.DEFAULT_REGION,
    import_batch_id: int | None = None,
) -> int:
    name = (name or "").strip()
    if not name:
        raise ValidationError("a company needs a name", "name")
    inn = validate_inn(inn)
    with write_tx():
        company = Company.create(
            name=name[:300], name_key=search_key(name), inn=inn, kpp=_clean(kpp), address=_clean(address), site=_clean(site),
            industry=_clean(industry), segment=_clean(segment), source=_clean(source),
            owner=owner_id if owner_id is not None else actor.user_id, visibility=visibility,
            created_by=actor.user_id, import_batch=import_batch_id,
        )
        for p in phones:
            p = p if isinstance(p, PhoneIn) else PhoneIn(p)
            add_phones(actor, p.raw, p.kind, company_id=company.id, region=region, extension=p.extension)
        for e in emails:
            add_emails(actor, e, company_id=company.id)
        if tags:
            add_tags(actor, tags, company_id=company.id)
        reindex_company(company.id)
        audit(actor, Entity.COMPANY, company.id, "create", {"name": [None, name]})
    return company.id


def create_person(
    actor: Actor,
    *,
    full_name: str | None = None,
    last_name: str = "",
    first_name: str = "",
    middle_name: str = "",
    position: str | None = None,
    company_id: int | None = None,
    birthday: dt.date | None = None,
    source: str | None = None,
    owner_id: int | None = None,
    visibility: str = Visibility.SHARED,
    phones: Iterable[PhoneIn | str] = (),
    emails: Iterable[str] = (),
    tags: Iterable[str] = (),
    region: str = phone_svc.DEFAULT_REGION,
    import_batch_id: int | None = None,
) -> int:
    if full_name and not (last_name or first_name or middle_name):
        last_name, first_name, middle_name = split_full_name(full_name.strip())
    display = (full_name or "").strip() or compose_full_name(last_name, first_name, middle_name)
    if not display:
        raise ValidationError("a person needs a name", "name")
    if company_id is not None and not Company.select().where(Company.id == company_id).exists():
        raise NotFound(f"company #{company_id} not found")
    with write_tx():
        person = Person.create(
            last_name=last_name.strip()[:100], first_name=first_name.strip()[:100], middle_name=middle_name.strip()[:100],
            full_name=display[:320], name_key=search_key(display), position=_clean(position), company=company_id,
            birthday=birthday, source=_clean(source), owner=owner_id if owner_id is not None else actor.user_id,
            visibility=visibility, created_by=actor.user_id, import_batch=import_batch_id,
        )
        for p in phones:
            p = p if isinstance(p, PhoneIn) else PhoneIn(p)
            add_phones(actor, p.raw, p.kind, person_id=person.id, region=region, extension=p.extension)
        for e in emails:
            add_emails(actor, e, person_id=person.id)
        if tags:
            add_tags(actor, tags, person_id=person.id)
        reindex_person(person.id)
        audit(actor, Entity.PERSON, person.id, "create", {"full_name": [None, display]})
    return person.id


PERSON_EDITABLE = {
    "last_name", "first_name", "middle_name", "full_name", "position", "company", "birthday", "source", "owner", "visibility",
}
COMPANY_EDITABLE = {"name", "legal_form", "inn", "kpp", "ogrn", "address", "site", "industry", "segment", "source", "owner", "visibility"}


def update_person(actor: Actor, person_id: int, expected_version: int | None, **changes) -> int:
    unknown = set(changes) - PERSON_EDITABLE
    if unknown:
        raise ValueError(f"not editable: {', '.join(sorted(unknown))}")
    person = Person.get_or_none(Person.id == person_id)
    if person is None:
        raise NotFound(f"person #{person_id} not found")
    if {"last_name", "first_name", "middle_name"} & set(changes) and "full_name" not in changes:
        parts = {k: changes.get(k, getattr(person, k)) for k in ("last_name", "first_name", "middle_name")}
        changes["full_name"] = compose_full_name(parts["last_name"], parts["first_name"], parts["middle_name"])
    if "full_name" in changes:
        changes["full_name"] = (changes["full_name"] or "").strip()
        if not changes["full_name"]:
            raise ValidationError("a person needs a name", "name")
        changes["name_key"] = search_key(changes["full_name"])
    with write_tx():
        changed = diff(person, changes)
        version = versioned_update(Person, person_id, expected_version, changes)
        if "full_name" in changes or "company" in changes:
            reindex_person(person_id)
        audit(actor, Entity.PERSON, person_id, "update", changed)
    return version


def update_company(actor: Actor, company_id: int, expected_version: int | None, **changes) -> int:
    unknown = set(changes) - COMPANY_EDITABLE
    if unknown:
        raise ValueError(f"not editable: {', '.join(sorted(unknown))}")
    company = Company.get_or_none(Company.id == company_id)
    if company is None:
        raise NotFound(f"company #{company_id} not found")
    if "inn" in changes:
        changes["inn"] = validate_inn(changes["inn"])
    if "name" in changes:
        changes["name"] = (changes["name"] or "").strip()
        if not changes["name"]:
            raise ValidationError("a company needs a name", "name")
        changes["name_key"] = search_key(changes["name"])
    with write_tx():
        changed = diff(company, changes)
        version = versioned_update(Company, company_id, expected_version, changes)
        if "name" in changes:
            reindex_company(company_id, with_persons=True)
        audit(actor, Entity.COMPANY, company_id, "update", changed)
    return version


def archive(actor: Actor, kind: str, record_id: int, restore: bool = False) -> None:
    model = Person if kind == "person" else Company
    with write_tx():
        n = model.update(archived_at=None if restore else utcnow(), updated_at=utcnow(), row_version=model.row_version + 1).where(model.id == record_id).execute()
        if not n:
            raise NotFound(f"{kind} #{record_id} not found")
        audit(actor, kind, record_id, "restore" if restore else "archive")
