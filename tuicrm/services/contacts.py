"""Persons and companies: create, edit, phones, emails, tags, duplicates, archive, search index."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Iterable

import peewee

from tuicrm.db.connection import write_tx
from tuicrm.i18n import _ as _t
from tuicrm.model import (
    Activity, Company, CompanyTag, CustomField, CustomValue, Deal, Email, Note, Person, PersonTag, Phone, SearchToken,
    Stage, Tag, User, utcnow,
)
from tuicrm.model.enums import Entity, PhoneKind, Visibility
from tuicrm.services import phones as phone_svc
from tuicrm.services.queries import tags_of, visible  # noqa: F401 - part of this module's API
from tuicrm.services.base import (
    Actor,
    Forbidden,
    prefix_range,
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
    """A person's SearchToken rows: the words of its name (its company's words are the company's
    rows; search joins them through ``person.company_id``)."""
    full_name = Person.select(Person.full_name).where(Person.id == person_id).scalar()
    SearchToken.delete().where((SearchToken.kind == "p") & (SearchToken.ref_id == person_id)).execute()
    words = tokens(full_name) if full_name is not None else []
    if words:
        SearchToken.insert_many([(w, "p", person_id) for w in words], fields=[SearchToken.token, SearchToken.kind, SearchToken.ref_id]).execute()


def reindex_company(company_id: int) -> None:
    """A company's SearchToken rows: the words of its name. Its persons' rows do not change."""
    name = Company.select(Company.name).where(Company.id == company_id).scalar()
    SearchToken.delete().where((SearchToken.kind == "c") & (SearchToken.ref_id == company_id)).execute()
    if name is not None:
        words = tokens(name)
        if words:
            SearchToken.insert_many([(w, "c", company_id) for w in words], fields=[SearchToken.token, SearchToken.kind, SearchToken.ref_id]).execute()


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


_EMAIL_SEP = re.compile(r"[;,\s]+")


def split_emails(value: object) -> list[str]:
    text = phone_svc.cell_to_text(value)
    if _EMAIL_SEP.search(text) is None:  # one address, the most common cell: what the split below gives
        e = text.strip("<>")  # (no whitespace in it to strip: \s and str.strip's whitespace are the same)
        return [e] if e else []
    return [e for e in (p.strip().strip("<>") for p in _EMAIL_SEP.split(text)) if e]


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


def _add_card_details(
    actor: Actor, phones: Iterable[PhoneIn | str], emails: Iterable[str], tags: Iterable[str], region: str, **card
) -> None:
    """The phones, emails and tags a new card is created with (``card``: person_id= or company_id=)."""
    for p in phones:
        p = p if isinstance(p, PhoneIn) else PhoneIn(p)
        add_phones(actor, p.raw, p.kind, region=region, extension=p.extension, **card)
    for e in emails:
        add_emails(actor, e, **card)
    if tags:
        add_tags(actor, tags, **card)


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
        _add_card_details(actor, phones, emails, tags, region, company_id=company.id)
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
        _add_card_details(actor, phones, emails, tags, region, person_id=person.id)
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
        if "full_name" in changes:
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
            reindex_company(company_id)
        audit(actor, Entity.COMPANY, company_id, "update", changed)
    return version


def archive(actor: Actor, kind: str, record_id: int, restore: bool = False) -> None:
    model = Person if kind == "person" else Company
    with write_tx():
        n = model.update(archived_at=None if restore else utcnow(), updated_at=utcnow(), row_version=model.row_version + 1).where(model.id == record_id).execute()
        if not n:
            raise NotFound(f"{kind} #{record_id} not found")
        audit(actor, kind, record_id, "restore" if restore else "archive")


# ================================================================================================
# Forms: read a card's editable fields, save a whole form in one transaction
# ================================================================================================


KPP_RE = re.compile(r"^\d{4}[\dA-Z]{2}\d{3}$")
_INN10 = (2, 4, 10, 3, 5, 9, 4, 6, 8)
_INN11 = (7, 2, 4, 10, 3, 5, 9, 4, 6, 8)
_INN12 = (3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8)


def inn_checksum_ok(inn: str) -> bool:
    """The check digits of a Russian tax id (10 digits: organization, 12: individual)."""
    if not inn.isdigit() or len(inn) not in (10, 12):
        return False
    d = [int(c) for c in inn]

    def check(weights) -> int:
        return sum(w * x for w, x in zip(weights, d)) % 11 % 10

    if len(d) == 10:
        return check(_INN10) == d[9]
    return check(_INN11) == d[10] and check(_INN12) == d[11]


def check_inn(inn: str | None) -> str | None:
    """Strict form check: 10/12 digits and the check digits. '' → None. Raises ValidationError."""
    inn = _clean(inn)
    if inn is None:
        return None
    inn = re.sub(r"\s", "", inn)
    if not INN_RE.match(inn):
        raise ValidationError(_t("a tax id (ИНН) has 10 digits (organization) or 12 (individual)"), "inn")
    if not inn_checksum_ok(inn):
        raise ValidationError(_t("this tax id (ИНН) has wrong check digits: a typo?"), "inn")
    return inn


def check_kpp(kpp: str | None) -> str | None:
    kpp = _clean(kpp)
    if kpp is None:
        return None
    kpp = re.sub(r"\s", "", kpp).upper()
    if not KPP_RE.match(kpp):
        raise ValidationError(_t("a КПП has 9 characters: 4 digits, 2 digits or letters, 3 digits"), "kpp")
    return kpp


def check_emails(raw: object) -> list[str]:
    """Every address in a text, each checked; raises ValidationError naming the first bad one."""
    out = []
    for address in split_emails(raw):
        address, ok = normalize_email(address)
        if not ok:
            raise ValidationError(_t("{address} is not an email address").format(address=address), "emails")
        out.append(address)
    return out


@dataclass(frozen=True)
class ContactLine:
    """One phone or email as a form shows it."""

    id: int | None
    text: str  # phone: raw as typed; email: the address
    kind: str | None = None
    extension: str | None = None


@dataclass
class PersonData:
    last_name: str = ""
    first_name: str = ""
    middle_name: str = ""
    full_name: str = ""  # used when the three parts are empty
    position: str | None = None
    company_id: int | None = None
    company_name: str | None = None  # typed: an existing company of exactly this name, or a new one
    birthday: dt.date | None = None
    source: str | None = None
    owner_id: int | None = None
    visibility: str = Visibility.SHARED
    phones: list[PhoneIn] = field(default_factory=list)
    emails: list[str] = field(default_factory=list)
    row_version: int | None = None  # as read (editing); None for a new card
    custom: dict[int, str] | None = None  # custom field id → typed text ('' clears); None: leave them


@dataclass
class CompanyData:
    name: str = ""
    inn: str | None = None
    kpp: str | None = None
    address: str | None = None
    site: str | None = None
    industry: str | None = None
    segment: str | None = None
    source: str | None = None
    owner_id: int | None = None
    visibility: str = Visibility.SHARED
    phones: list[PhoneIn] = field(default_factory=list)
    emails: list[str] = field(default_factory=list)
    row_version: int | None = None
    custom: dict[int, str] | None = None


def _check_visible(actor: Actor, kind: str, record_id: int):
    model = Person if kind == "person" else Company
    rec = model.get_or_none(model.id == record_id)
    if rec is None:
        raise NotFound(_t("{kind} #{id} not found").format(kind=_t(kind), id=record_id))
    if not model.select().where((model.id == record_id) & visible(model, actor)).exists():
        raise Forbidden(_t("this card is private to its owner"))
    return rec


def _phones_in(cond) -> list[PhoneIn]:
    return [PhoneIn(p.raw, p.kind, p.extension) for p in Phone.select().where(cond).order_by(Phone.position, Phone.id)]


def _emails_in(cond) -> list[str]:
    return [e.address for e in Email.select().where(cond).order_by(Email.position, Email.id)]


def person_form_data(actor: Actor, person_id: int) -> PersonData:
    p = _check_visible(actor, "person", person_id)
    company_name = Company.select(Company.name).where(Company.id == p.company_id).scalar() if p.company_id else None
    return PersonData(
        last_name=p.last_name, first_name=p.first_name, middle_name=p.middle_name, full_name=p.full_name,
        position=p.position, company_id=p.company_id, company_name=company_name, birthday=p.birthday, source=p.source,
        owner_id=p.owner_id, visibility=p.visibility, phones=_phones_in(Phone.person == person_id),
        emails=_emails_in(Email.person == person_id), row_version=p.row_version,
        custom=custom_texts("person", person_id),
    )


def company_form_data(actor: Actor, company_id: int) -> CompanyData:
    c = _check_visible(actor, "company", company_id)
    return CompanyData(
        name=c.name, inn=c.inn, kpp=c.kpp, address=c.address, site=c.site, industry=c.industry, segment=c.segment,
        source=c.source, owner_id=c.owner_id, visibility=c.visibility, phones=_phones_in(Phone.company == company_id),
        emails=_emails_in(Email.company == company_id), row_version=c.row_version,
        custom=custom_texts("company", company_id),
    )


def _check_phones(phones: Iterable[PhoneIn], region: str) -> list[PhoneIn]:
    """Forms accept only valid numbers (imports keep invalid ones flagged; a form can ask)."""
    out = []
    for p in phones:
        for parsed in phone_svc.parse_cell(p.raw, region):
            if not parsed.is_valid:
                raise ValidationError(
                    _t("{raw}: {reason}").format(raw=parsed.raw, reason=_t(parsed.reason or "not a valid number")), "phones"
                )
            out.append(PhoneIn(parsed.raw, p.kind, p.extension or parsed.extension))
    return out


def sync_phones(actor: Actor, phones: Iterable[PhoneIn], *, person_id=None, company_id=None,
                region: str = phone_svc.DEFAULT_REGION) -> None:
    """Make a card's phones exactly ``phones``: keep the ones still there (same E.164 or raw),
    delete the removed, add the new (kind/extension of kept ones updated when given)."""
    cond = (Phone.person == person_id) if person_id else (Phone.company == company_id)
    existing = list(Phone.select().where(cond).order_by(Phone.position, Phone.id))
    wanted: list[tuple[phone_svc.ParsedPhone, PhoneIn]] = []
    for p in phones:
        for parsed in phone_svc.parse_cell(p.raw, region):
            wanted.append((parsed, p))
    with write_tx():
        keep_ids = set()
        new: list[tuple[phone_svc.ParsedPhone, PhoneIn]] = []
        for parsed, p in wanted:
            match = next((e for e in existing if e.id not in keep_ids and (
                (parsed.e164 and e.e164 == parsed.e164) or (not parsed.e164 and e.raw == parsed.raw))), None)
            if match is None:
                new.append((parsed, p))
                continue
            keep_ids.add(match.id)
            changes = {}
            ext = p.extension or parsed.extension
            if p.kind and p.kind != match.kind:
                changes["kind"] = p.kind
            if (ext or None) != (match.extension or None):
                changes["extension"] = ext
            if match.raw != parsed.raw:
                changes["raw"] = parsed.raw[:500]
            if changes:
                Phone.update(**changes).where(Phone.id == match.id).execute()
        removed = [e for e in existing if e.id not in keep_ids]
        if removed:
            Phone.delete().where(Phone.id.in_([e.id for e in removed])).execute()
        position = max((e.position for e in existing if e.id in keep_ids), default=-1) + 1
        for parsed, p in new:
            row = _phone_rows([parsed], p.kind, person_id=person_id, company_id=company_id, start=position)[0]
            if p.extension:
                row["extension"] = p.extension
            Phone.insert(**row).execute()
            position += 1
        if not Phone.select().where(cond & (Phone.is_primary == True)).exists():  # noqa: E712
            first = Phone.select(Phone.id).where(cond).order_by(Phone.position, Phone.id).scalar()
            if first:
                Phone.update(is_primary=True).where(Phone.id == first).execute()
        if removed or new:
            entity, eid = (Entity.PERSON, person_id) if person_id else (Entity.COMPANY, company_id)
            audit(actor, entity, eid, "phones", {"removed": [e.raw for e in removed], "added": [p.raw for p, _x in new]})


def sync_emails(actor: Actor, emails: Iterable[str], *, person_id=None, company_id=None) -> None:
    cond = (Email.person == person_id) if person_id else (Email.company == company_id)
    existing = {e.address_lower: e for e in Email.select().where(cond)}
    wanted = list(dict.fromkeys(a for a in emails if a))
    wanted_lower = {a.lower() for a in wanted}
    removed = [e for key, e in existing.items() if key not in wanted_lower]
    with write_tx():
        if removed:
            Email.delete().where(Email.id.in_([e.id for e in removed])).execute()
        fresh = [a for a in wanted if a.lower() not in existing]
        if fresh:
            kwargs = {"person_id": person_id} if person_id else {"company_id": company_id}
            add_emails(actor, ", ".join(fresh), **kwargs)
        if not Email.select().where(cond & (Email.is_primary == True)).exists():  # noqa: E712
            first = Email.select(Email.id).where(cond).order_by(Email.position, Email.id).scalar()
            if first:
                Email.update(is_primary=True).where(Email.id == first).execute()


def _company_for(actor: Actor, data: PersonData) -> int | None:
    """The company a person form points at: the chosen one, or one of exactly the typed name, or a new one."""
    name = (data.company_name or "").strip()
    if data.company_id:
        if name:
            chosen = Company.select(Company.name).where(Company.id == data.company_id).scalar()
            if chosen is not None and search_key(chosen) == search_key(name):
                return data.company_id
        elif not name:
            return data.company_id
    if not name:
        return None
    same = (
        Company.select(Company.id).where((Company.name_key == search_key(name)) & Company.archived_at.is_null() & visible(Company, actor))
        .order_by(Company.id).limit(2).tuples()
    )
    ids = [i for (i,) in same]
    if len(ids) == 1:
        return ids[0]
    return create_company(actor, name, owner_id=data.owner_id)


def save_person(actor: Actor, data: PersonData, person_id: int | None = None, *,
                region: str = phone_svc.DEFAULT_REGION) -> tuple[int, int]:
    """Create or update a person from a form, with phones, emails and a typed company, in one
    transaction. Editing checks ``data.row_version`` (Conflict if someone saved meanwhile).
    Returns (id, new row_version)."""
    phones = _check_phones(data.phones, region)
    emails = check_emails(", ".join(data.emails))
    _check_custom("person", data.custom)
    if not compose_full_name(data.last_name, data.first_name, data.middle_name) and not data.full_name.strip():
        raise ValidationError(_t("a person needs a name"), "name")
    with write_tx():
        company_id = _company_for(actor, data)
        if person_id is None:
            pid = create_person(
                actor, full_name=data.full_name or None, last_name=data.last_name, first_name=data.first_name,
                middle_name=data.middle_name, position=data.position, company_id=company_id, birthday=data.birthday,
                source=data.source, owner_id=data.owner_id, visibility=data.visibility, region=region,
            )
            sync_phones(actor, phones, person_id=pid, region=region)
            sync_emails(actor, emails, person_id=pid)
            _save_custom(actor, "person", pid, data.custom)
            return pid, 1
        _check_visible(actor, "person", person_id)
        changes: dict = dict(
            position=_clean(data.position), company=company_id, birthday=data.birthday, source=_clean(data.source),
            visibility=data.visibility,
        )
        if data.last_name or data.first_name or data.middle_name:
            changes.update(last_name=data.last_name.strip(), first_name=data.first_name.strip(), middle_name=data.middle_name.strip())
        else:
            last, first, middle = split_full_name(data.full_name.strip())
            changes.update(last_name=last, first_name=first, middle_name=middle, full_name=data.full_name.strip())
        version = update_person(actor, person_id, data.row_version, **changes)
        sync_phones(actor, phones, person_id=person_id, region=region)
        sync_emails(actor, emails, person_id=person_id)
        _save_custom(actor, "person", person_id, data.custom)
        if data.owner_id is not None and data.owner_id != Person.get_by_id(person_id).owner_id:
            # a new owner takes the open activities and deals along, as a hand-over does
            handover(actor, "person", person_id, data.owner_id)
            version = Person.get_by_id(person_id).row_version
        return person_id, version


def save_company(actor: Actor, data: CompanyData, company_id: int | None = None, *,
                 region: str = phone_svc.DEFAULT_REGION) -> tuple[int, int]:
    """Create or update a company from a form (strict ИНН/КПП checks). Returns (id, new row_version)."""
    name = (data.name or "").strip()
    if not name:
        raise ValidationError(_t("a company needs a name"), "name")
    inn = check_inn(data.inn)
    kpp = check_kpp(data.kpp)
    phones = _check_phones(data.phones, region)
    emails = check_emails(", ".join(data.emails))
    _check_custom("company", data.custom)
    if data.visibility not in set(Visibility):
        raise ValidationError(_t("visibility must be shared or private"), "visibility")
    with write_tx():
        if company_id is None:
            cid = create_company(
                actor, name, inn=inn, kpp=kpp, address=data.address, site=data.site, industry=data.industry,
                segment=data.segment, source=data.source, owner_id=data.owner_id, visibility=data.visibility, region=region,
            )
            sync_phones(actor, phones, company_id=cid, region=region)
            sync_emails(actor, emails, company_id=cid)
            _save_custom(actor, "company", cid, data.custom)
            return cid, 1
        _check_visible(actor, "company", company_id)
        changes = dict(
            name=name, inn=inn, kpp=kpp, address=_clean(data.address), site=_clean(data.site),
            industry=_clean(data.industry), segment=_clean(data.segment), source=_clean(data.source),
            visibility=data.visibility,
        )
        version = update_company(actor, company_id, data.row_version, **changes)
        sync_phones(actor, phones, company_id=company_id, region=region)
        sync_emails(actor, emails, company_id=company_id)
        _save_custom(actor, "company", company_id, data.custom)
        if data.owner_id is not None and data.owner_id != Company.get_by_id(company_id).owner_id:
            handover(actor, "company", company_id, data.owner_id)
            version = Company.get_by_id(company_id).row_version
        return company_id, version


def add_contact_info(actor: Actor, kind: str, record_id: int, what: str, text: str, *, info_kind: str | None = None,
                     extension: str | None = None, region: str = phone_svc.DEFAULT_REGION) -> int:
    """One phone or email added from the card (checked strictly). Returns the new row's id."""
    _check_visible(actor, kind, record_id)
    key = {"person_id": record_id} if kind == "person" else {"company_id": record_id}
    text = (text or "").strip()
    if what == "phone":
        parsed = phone_svc.parse_cell(text, region)
        if len(parsed) != 1:
            raise ValidationError(_t("type one phone number") if not parsed else _t("one number at a time, please"), "phone")
        if not parsed[0].is_valid:
            raise ValidationError(_t("{raw}: {reason}").format(raw=parsed[0].raw, reason=_t(parsed[0].reason or "not a valid number")), "phone")
        ext = (extension or "").strip() or None
        if ext and not ext.isdigit():
            raise ValidationError(_t("an extension is digits only"), "extension")
        ids = add_phones(actor, text, info_kind, region=region, extension=ext, **key)
        if not ids:
            raise ValidationError(_t("this card already has this number"), "phone")
        return ids[0]
    addresses = check_emails(text)
    if len(addresses) != 1:
        raise ValidationError(_t("type one email address"), "email")
    ids = add_emails(actor, addresses[0], info_kind or "work", **key)
    if not ids:
        raise ValidationError(_t("this card already has this address"), "email")
    return ids[0]


def remove_phone(actor: Actor, phone_id: int) -> None:
    p = Phone.get_or_none(Phone.id == phone_id)
    if p is None:
        raise NotFound(_t("phone #{id} not found").format(id=phone_id))
    kind, rid = ("person", p.person_id) if p.person_id else ("company", p.company_id)
    _check_visible(actor, kind, rid)
    with write_tx():
        p.delete_instance()
        audit(actor, kind, rid, "remove_phone", {"phone": [p.raw, None]})


def remove_email(actor: Actor, email_id: int) -> None:
    e = Email.get_or_none(Email.id == email_id)
    if e is None:
        raise NotFound(_t("email #{id} not found").format(id=email_id))
    kind, rid = ("person", e.person_id) if e.person_id else ("company", e.company_id)
    _check_visible(actor, kind, rid)
    with write_tx():
        e.delete_instance()
        audit(actor, kind, rid, "remove_email", {"email": [e.address, None]})


def tag_names(prefix: str = "", limit: int = 500) -> list[str]:
    """Existing tags (for completion), by name; ``prefix`` compares search keys."""
    q = Tag.select(Tag.name)
    if prefix.strip():
        q = q.where(prefix_range(Tag.name_key, search_key(prefix)))
    return [n for (n,) in q.order_by(Tag.name_key).limit(limit).tuples()]


def set_card_tags(actor: Actor, kind: str, record_id: int, names: Iterable[str],
                  expected: Iterable[str] | None = None) -> list[str]:
    """Replace a card's tags (duplicates by search key dropped); returns the tags now on it.
    ``expected``: the tags as the editor read them — Conflict if someone changed them meanwhile."""
    from tuicrm.services.base import Conflict

    _check_visible(actor, kind, record_id)
    seen: dict[str, str] = {}
    for n in names:
        n = n.strip()
        if n:
            seen.setdefault(search_key(n), n[:100])
    key = {"person_id": record_id} if kind == "person" else {"company_id": record_id}
    with write_tx():
        if expected is not None and sorted(map(search_key, tags_of(**key))) != sorted(map(search_key, expected)):
            raise Conflict(_t("the tags were changed by someone else meanwhile"))
        set_tags(actor, list(seen.values()), **key)
    return tags_of(**key)


# --- custom field values ---------------------------------------------------------------------------


@dataclass(frozen=True)
class CustomFieldInfo:
    id: int
    code: str
    label: str
    kind: str
    choices: list[str]


def custom_fields(entity: str) -> list[CustomFieldInfo]:
    import json

    q = CustomField.select().where((CustomField.entity == entity) & CustomField.archived_at.is_null()).order_by(CustomField.position, CustomField.id)
    return [CustomFieldInfo(f.id, f.code, f.label, f.kind, json.loads(f.choices) if f.choices else []) for f in q]


def parse_custom(kind: str, text: str, choices: list[str] | None = None) -> dict:
    """Typed text → the CustomValue columns for a field kind. Raises ValidationError."""
    from tuicrm.services.when import WhenError, parse_date

    text = (text or "").strip()
    if kind == "number":
        cleaned = text.replace(" ", "").replace("\u00a0", "").replace(",", ".")
        try:
            value = round(float(cleaned) * 1000)
        except ValueError:
            raise ValidationError(_t("{text}: not a number").format(text=text), "custom") from None
        return {"value_number": value, "value_text": None, "value_date": None}
    if kind == "date":
        try:
            return {"value_date": parse_date(text), "value_text": None, "value_number": None}
        except WhenError as exc:
            raise ValidationError(str(exc), "custom") from None
    if kind == "choice" and choices:
        match = [c for c in choices if search_key(c) == search_key(text)]
        if not match:
            raise ValidationError(_t("choose one of: {choices}").format(choices=", ".join(choices)), "custom")
        text = match[0]
    return {"value_text": text[:10_000], "value_number": None, "value_date": None}


def set_custom_value(actor: Actor, kind: str, record_id: int, field_id: int, text: str) -> None:
    """Set (or clear, with '') one custom field of a person/company/deal."""
    import json

    f = CustomField.get_or_none((CustomField.id == field_id) & (CustomField.entity == kind))
    if f is None:
        raise NotFound(_t("custom field #{id} not found").format(id=field_id))
    if kind in ("person", "company"):
        _check_visible(actor, kind, record_id)
    col = {"person": CustomValue.person, "company": CustomValue.company, "deal": CustomValue.deal}[kind]
    with write_tx():
        CustomValue.delete().where((CustomValue.field == field_id) & (col == record_id)).execute()
        if (text or "").strip():
            values = parse_custom(f.kind, text, json.loads(f.choices) if f.choices else [])
            CustomValue.create(field=field_id, **{kind: record_id}, **values)
        audit(actor, kind, record_id, "custom", {f.code: [None, (text or "").strip() or None]})


def custom_text(kind: str, value_text, value_number, value_date) -> str:
    """A stored custom value as a form shows it (numbers without trailing zeros, dates dd.mm.yyyy)."""
    if kind == "number" and value_number is not None:
        whole, frac = divmod(abs(value_number), 1000)
        sign = "-" if value_number < 0 else ""
        return f"{sign}{whole}" + (f",{frac:03d}".rstrip("0") if frac else "")
    if kind == "date" and value_date is not None:
        return value_date.strftime("%d.%m.%Y")
    return value_text or ""


def custom_texts(kind: str, record_id: int) -> dict[int, str]:
    col = CustomValue.person if kind == "person" else CustomValue.company
    q = (
        CustomValue.select(CustomValue.field, CustomField.kind, CustomValue.value_text, CustomValue.value_number, CustomValue.value_date)
        .join(CustomField, on=(CustomValue.field == CustomField.id))
        .where(col == record_id)
        .tuples()
    )
    return {fid: custom_text(k, t, n, d) for fid, k, t, n, d in q}


def _check_custom(kind: str, custom: dict[int, str] | None) -> None:
    if not custom:
        return
    fields = {f.id: f for f in custom_fields(kind)}
    for fid, text in custom.items():
        f = fields.get(fid)
        if f is None:
            raise NotFound(_t("custom field #{id} not found").format(id=fid))
        if (text or "").strip():
            try:
                parse_custom(f.kind, text, f.choices)
            except ValidationError as exc:
                raise ValidationError(str(exc), f"cf-{fid}") from None


def _save_custom(actor: Actor, kind: str, record_id: int, custom: dict[int, str] | None) -> None:
    if custom is None:
        return
    current = custom_texts(kind, record_id)
    for fid, text in custom.items():
        if (text or "").strip() != current.get(fid, ""):
            set_custom_value(actor, kind, record_id, fid, text)


# ================================================================================================
# Hand over to another manager
# ================================================================================================


@dataclass(frozen=True)
class HandoverResult:
    persons: int = 0
    companies: int = 0
    activities: int = 0
    deals: int = 0


def _open_stage_ids():
    return Stage.select(Stage.id).where(Stage.kind == "open")


def _open_activities(fk, card_id: int, prev_owner: int | None):
    cond = (fk == card_id) & Activity.done_at.is_null() & Activity.archived_at.is_null()
    if prev_owner is not None:
        cond &= (Activity.assignee == prev_owner) | Activity.assignee.is_null()
    return cond


def _open_deals(fk, card_id: int, prev_owner: int | None):
    cond = (fk == card_id) & Deal.stage.in_(_open_stage_ids()) & Deal.archived_at.is_null() & Deal.closed_at.is_null()
    if prev_owner is not None:
        cond &= (Deal.owner == prev_owner) | Deal.owner.is_null()
    return cond


def _active_user(user_id: int) -> User:
    u = User.get_or_none(User.id == user_id)
    if u is None:
        raise NotFound(_t("user #{id} not found").format(id=user_id))
    if not u.is_active:
        raise ValidationError(_t("{name} is deactivated").format(name=u.name), "user")
    return u


def handover(actor: Actor, kind: str, record_id: int, to_user_id: int, *, include_company_people: bool = False,
             expected_version: int | None = None, dry_run: bool = False) -> HandoverResult:
    """Give a card to another manager together with its open activities and open deals (those
    of the previous owner or nobody's; done activities and closed deals stay as history).
    A company may take its people along (``include_company_people``). ``dry_run`` only counts."""
    rec = _check_visible(actor, kind, record_id)
    if not (actor.sees_all or rec.owner_id in (None, actor.user_id)):
        raise Forbidden(_t("only the owner or a head may hand this card over"))
    to = _active_user(to_user_id)
    cards: list[tuple[str, object]] = [(kind, rec)]
    if kind == "company" and include_company_people:
        cards += [("person", p) for p in Person.select().where((Person.company == record_id) & Person.archived_at.is_null())]
    persons = companies = acts = deals = 0
    seen_a: set[int] = set()
    seen_d: set[int] = set()
    with write_tx():
        for card_kind, card in cards:
            model = Person if card_kind == "person" else Company
            act_fk = Activity.person if card_kind == "person" else Activity.company
            deal_fk = Deal.person if card_kind == "person" else Deal.company
            prev = card.owner_id
            a_cond = _open_activities(act_fk, card.id, prev)
            d_cond = _open_deals(deal_fk, card.id, prev)
            if dry_run:
                # a person's activity usually carries its company too: count each row once
                a_ids = {i for (i,) in Activity.select(Activity.id).where(
                    a_cond & ((Activity.assignee != to.id) | Activity.assignee.is_null())).tuples()} - seen_a
                d_ids = {i for (i,) in Deal.select(Deal.id).where(
                    d_cond & ((Deal.owner != to.id) | Deal.owner.is_null())).tuples()} - seen_d
                seen_a |= a_ids
                seen_d |= d_ids
                n_a, n_d = len(a_ids), len(d_ids)
            else:
                if card is rec:
                    versioned_update(model, card.id, expected_version, {"owner": to.id})
                elif prev != to.id:
                    versioned_update(model, card.id, None, {"owner": to.id})
                n_a = Activity.update(assignee=to.id, updated_at=utcnow(), row_version=Activity.row_version + 1).where(
                    a_cond & ((Activity.assignee != to.id) | Activity.assignee.is_null())).execute()
                n_d = Deal.update(owner=to.id, updated_at=utcnow(), row_version=Deal.row_version + 1).where(
                    d_cond & ((Deal.owner != to.id) | Deal.owner.is_null())).execute()
                audit(actor, card_kind, card.id, "handover", {"owner": [prev, to.id], "activities": n_a, "deals": n_d})
            acts += n_a
            deals += n_d
            if card_kind == "person":
                persons += 1
            else:
                companies += 1
    return HandoverResult(persons, companies, acts, deals)


# ================================================================================================
# Merge two cards into one
# ================================================================================================


@dataclass(frozen=True)
class CardCounts:
    phones: int
    emails: int
    tags: int
    notes: int
    activities: int
    deals: int
    custom_values: int
    persons: int  # a company's people (0 for a person)


@dataclass(frozen=True)
class MergeResult:
    kind: str
    keep_id: int
    drop_id: int
    moved: CardCounts  # what came over from the dropped card
    duplicates: int  # phones/emails/tags the survivor already had
    filled: list[str]  # the survivor's empty fields filled from the dropped one
    row_version: int


PERSON_FILL = ("last_name", "first_name", "middle_name", "position", "company", "birthday", "source", "owner")
COMPANY_FILL = ("legal_form", "inn", "kpp", "ogrn", "address", "site", "industry", "segment", "source", "owner")


def card_counts(kind: str, record_id: int) -> CardCounts:
    """What hangs on a card (merge preview; tests count before and after)."""
    if kind == "person":
        tags = PersonTag.select().where(PersonTag.person == record_id).count()
        return CardCounts(
            Phone.select().where(Phone.person == record_id).count(), Email.select().where(Email.person == record_id).count(),
            tags, Note.select().where(Note.person == record_id).count(),
            Activity.select().where(Activity.person == record_id).count(), Deal.select().where(Deal.person == record_id).count(),
            CustomValue.select().where(CustomValue.person == record_id).count(), 0,
        )
    return CardCounts(
        Phone.select().where(Phone.company == record_id).count(), Email.select().where(Email.company == record_id).count(),
        CompanyTag.select().where(CompanyTag.company == record_id).count(), Note.select().where(Note.company == record_id).count(),
        Activity.select().where(Activity.company == record_id).count(), Deal.select().where(Deal.company == record_id).count(),
        CustomValue.select().where(CustomValue.company == record_id).count(),
        Person.select().where(Person.company == record_id).count(),
    )


def _empty(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def merge(actor: Actor, kind: str, keep_id: int, drop_id: int, *, keep_version: int | None = None,
          drop_version: int | None = None) -> MergeResult:
    """Merge card ``drop_id`` into ``keep_id`` in one transaction: phones (deduplicated by E.164,
    invalid ones by raw text), emails, tags, notes, activities, deals, custom values and — for
    companies — persons move to the survivor; its empty fields are filled from the dropped card;
    the dropped card is archived with ``merged_into`` set; both get an audit row."""
    from tuicrm.services.activities import touch_clients

    if kind not in ("person", "company"):
        raise ValueError(kind)
    if keep_id == drop_id:
        raise ValidationError(_t("a card cannot be merged with itself"), "card")
    model = Person if kind == "person" else Company
    keep = _check_visible(actor, kind, keep_id)
    drop = _check_visible(actor, kind, drop_id)
    if keep.archived_at is not None:
        raise ValidationError(_t("the card to keep is archived: restore it first"), "card")
    if drop.merged_into_id is not None:
        raise ValidationError(_t("that card was already merged into another"), "card")
    if not actor.sees_all and actor.user_id not in (keep.owner_id, None) and keep.visibility != Visibility.SHARED:
        raise Forbidden(_t("only the owner or a head may merge this card"))
    is_person = kind == "person"
    ph_fk, em_fk = (Phone.person, Email.person) if is_person else (Phone.company, Email.company)
    fk_name = kind
    duplicates = 0
    moved = card_counts(kind, drop_id)
    with write_tx():
        # phones
        keep_phones = list(Phone.select().where(ph_fk == keep_id))
        have_e164 = {p.e164: p for p in keep_phones if p.e164}
        have_raw = {p.raw: p for p in keep_phones if not p.e164}
        position = max((p.position for p in keep_phones), default=-1) + 1
        for p in Phone.select().where(ph_fk == drop_id).order_by(Phone.position, Phone.id):
            same = have_e164.get(p.e164) if p.e164 else have_raw.get(p.raw)
            if same is not None:
                if p.extension and not same.extension:
                    Phone.update(extension=p.extension).where(Phone.id == same.id).execute()
                p.delete_instance()
                duplicates += 1
                continue
            Phone.update(**{fk_name: keep_id}, is_primary=p.is_primary and not keep_phones, position=position).where(Phone.id == p.id).execute()
            position += 1
            (have_e164 if p.e164 else have_raw)[p.e164 or p.raw] = p
            keep_phones.append(p)
        # emails
        keep_emails = {e.address_lower for e in Email.select(Email.address_lower).where(em_fk == keep_id)}
        had_emails = bool(keep_emails)
        position = Email.select(peewee.fn.COUNT(Email.id)).where(em_fk == keep_id).scalar()
        for e in Email.select().where(em_fk == drop_id).order_by(Email.position, Email.id):
            if e.address_lower in keep_emails:
                e.delete_instance()
                duplicates += 1
                continue
            Email.update(**{fk_name: keep_id}, is_primary=e.is_primary and not had_emails, position=position).where(Email.id == e.id).execute()
            keep_emails.add(e.address_lower)
            position += 1
        # tags
        link, link_fk = (PersonTag, PersonTag.person) if is_person else (CompanyTag, CompanyTag.company)
        keep_tags = {t for (t,) in link.select(link.tag).where(link_fk == keep_id).tuples()}
        for (t,) in link.select(link.tag).where(link_fk == drop_id).tuples():
            if t in keep_tags:
                duplicates += 1
            else:
                link.insert(**{fk_name: keep_id, "tag": t}).execute()
        link.delete().where(link_fk == drop_id).execute()
        # history and deals
        act_fk, deal_fk, note_fk = (
            (Activity.person, Deal.person, Note.person) if is_person else (Activity.company, Deal.company, Note.company)
        )
        Activity.update(**{fk_name: keep_id}).where(act_fk == drop_id).execute()
        Deal.update(**{fk_name: keep_id}).where(deal_fk == drop_id).execute()
        Note.update(**{fk_name: keep_id}).where(note_fk == drop_id).execute()
        # custom values: the survivor's value wins; the other one is written to the audit row
        cv_fk = CustomValue.person if is_person else CustomValue.company
        keep_fields = {f for (f,) in CustomValue.select(CustomValue.field).where(cv_fk == keep_id).tuples()}
        lost_values = {}
        for cv in CustomValue.select().where(cv_fk == drop_id):
            if cv.field_id in keep_fields:
                lost_values[str(cv.field_id)] = cv.value_text or cv.value_number or (cv.value_date and cv.value_date.isoformat())
                cv.delete_instance()
            else:
                CustomValue.update(**{fk_name: keep_id}).where(CustomValue.id == cv.id).execute()
                keep_fields.add(cv.field_id)
        # a company's people; earlier merges pointing at the dropped card
        if not is_person:
            person_ids = [i for (i,) in Person.select(Person.id).where(Person.company == drop_id).tuples()]
            if person_ids:
                Person.update(company=keep_id).where(Person.company == drop_id).execute()
        model.update(merged_into=keep_id).where(model.merged_into == drop_id).execute()
        # fill the survivor's empty fields
        fields = PERSON_FILL if is_person else COMPANY_FILL
        changes = {}
        for name in fields:
            attr = f"{name}_id" if name in ("company", "owner") else name
            if _empty(getattr(keep, attr)) and not _empty(getattr(drop, attr)):
                changes[name] = getattr(drop, attr)
        if is_person and {"last_name", "first_name", "middle_name"} & set(changes):
            parts = {k: changes.get(k, getattr(keep, k)) for k in ("last_name", "first_name", "middle_name")}
            full = compose_full_name(parts["last_name"], parts["first_name"], parts["middle_name"])
            if len(full) > len(keep.full_name):
                changes["full_name"] = full
                changes["name_key"] = search_key(full)
        version = versioned_update(model, keep_id, keep_version, changes)
        versioned_update(model, drop_id, drop_version, {"archived_at": utcnow(), "merged_into": keep_id})
        if is_person:
            reindex_person(keep_id)
            touch_clients(keep_id, None)
            touch_clients(drop_id, None)
        else:
            reindex_company(keep_id)
            touch_clients(None, keep_id)
            touch_clients(None, drop_id)
        summary = {"merged": [drop_id, keep_id], "moved": moved.__dict__, "duplicates": duplicates,
                   "filled": sorted(changes), "custom_values_dropped": lost_values}
        audit(actor, kind, keep_id, "merge", summary)
        audit(actor, kind, drop_id, "merged_into", {"merged_into": [None, keep_id]})
    return MergeResult(kind, keep_id, drop_id, moved, duplicates, sorted(k for k in changes if k != "name_key"), version)


# ================================================================================================
# A call logged from a card, with the next step
# ================================================================================================


def log_call_with_next(
    actor: Actor, *, direction: str, outcome: str, result: str = "", person_id: int | None = None,
    company_id: int | None = None, deal_id: int | None = None, at: dt.datetime | None = None,
    next_kind: str | None = None, next_due: dt.datetime | None = None, next_subject: str = "",
    next_assignee_id: int | None = None,
) -> tuple[int, int | None]:
    """The call (done, with outcome and result) and optionally its follow-up, in one transaction.
    Returns (call id, follow-up id or None)."""
    from tuicrm.services import activities

    if not (person_id or company_id or deal_id):
        raise ValidationError(_t("a call needs a client"), "client")
    if next_kind and next_due is None:
        raise ValidationError(_t("the next step needs a date"), "next_due")
    with write_tx():
        call_id = activities.log_call(actor, direction=direction, outcome=outcome, result=result, person_id=person_id,
                                      company_id=company_id, deal_id=deal_id, at=at)
        next_id = None
        if next_kind and next_due is not None:
            next_id = activities.create_activity(
                actor, next_kind, next_subject, due_at=next_due, person_id=person_id, company_id=company_id,
                deal_id=deal_id, assignee_id=next_assignee_id, follow_up_of=call_id,
            )
    return call_id, next_id


# ================================================================================================
# An activity edited from the ActivityForm (creation and completion live in services.activities)
# ================================================================================================


@dataclass(frozen=True)
class ActivityData:
    id: int
    kind: str
    subject: str
    due_at: dt.datetime | None
    duration_min: int | None
    assignee_id: int | None
    person_id: int | None
    company_id: int | None
    deal_id: int | None
    client_name: str
    done: bool
    row_version: int


def activity_form_data(actor: Actor, activity_id: int) -> ActivityData:
    a = Activity.get_or_none(Activity.id == activity_id)
    if a is None:
        raise NotFound(_t("activity #{id} not found").format(id=activity_id))
    if not actor.sees_all and a.assignee_id not in (None, actor.user_id) and a.author_id != actor.user_id:
        raise Forbidden(_t("this is another manager's activity"))
    person = Person.select(Person.full_name).where(Person.id == a.person_id).scalar() if a.person_id else None
    company = Company.select(Company.name).where(Company.id == a.company_id).scalar() if a.company_id else None
    return ActivityData(a.id, a.kind, a.subject, a.due_at, a.duration_min, a.assignee_id, a.person_id, a.company_id,
                        a.deal_id, " · ".join(x for x in (person, company) if x), a.done_at is not None, a.row_version)


ACTIVITY_EDITABLE = {"kind", "subject", "due_at", "duration_min", "assignee", "person", "company", "deal"}


def edit_activity(actor: Actor, activity_id: int, expected_version: int | None, **changes) -> int:
    """Change a planned activity's fields (optimistic locking); keeps the clients' next-step dates."""
    from tuicrm.model.enums import ActivityKind
    from tuicrm.services.activities import touch_clients

    unknown = set(changes) - ACTIVITY_EDITABLE
    if unknown:
        raise ValueError(f"not editable: {', '.join(sorted(unknown))}")
    if "kind" in changes and changes["kind"] not in set(ActivityKind):
        raise ValidationError(_t("unknown activity kind {kind}").format(kind=changes["kind"]), "kind")
    if "subject" in changes:
        changes["subject"] = (changes["subject"] or "").strip()[:500]
    current = activity_form_data(actor, activity_id)
    with write_tx():
        version = versioned_update(Activity, activity_id, expected_version, changes)
        touch_clients(current.person_id, current.company_id)
        if changes.get("person") not in (None, current.person_id) or changes.get("company") not in (None, current.company_id):
            touch_clients(changes.get("person"), changes.get("company"))
        audit(actor, Entity.ACTIVITY, activity_id, "update", {k: [None, v] for k, v in changes.items()})
    return version
