"""Universal search over persons and companies.

One query box: a phone in any format or its last 4+ digits, a name or company words in any
order (prefix of each word, case-insensitive, ё = е), an email, a tax id (ИНН), or ``#tag``.
Every path is an index range query; nothing scans a table.
"""

from __future__ import annotations

import heapq
import re
from dataclasses import dataclass

import peewee

from tuicrm.model import Company, CompanyTag, Email, Person, PersonTag, Phone, SearchToken, Tag
from tuicrm.services import phones as phone_svc
from tuicrm.services.base import Actor, prefix_range, search_key, tokens
from tuicrm.services.queries import visible_sql


@dataclass(frozen=True)
class CardHit:
    kind: str  # "person" / "company"
    id: int
    name: str
    company: str | None
    company_id: int | None
    position: str | None
    phone_raw: str | None
    phone_e164: str | None
    owner: str | None
    archived: bool
    matched: str  # "phone" / "name" / "email" / "inn" / "tag"


Ref = tuple[str, int]


def _phone_refs(query: phone_svc.PhoneQuery, limit: int) -> list[Ref]:
    """Cards holding the number: by E.164 (and invalid stored numbers by their digits), or by the
    trailing digits (a prefix of the reversed digits) — index ranges on both engines. Plain SQL:
    building it with peewee cost more than running it (~0.3 ms a query)."""
    db = Phone._meta.database
    p = db.param
    high = query.suffix_rev + "\U0010ffff"  # prefix_range(): the range every prefix lies in
    if query.e164:
        # invalid numbers (e164 NULL, is_valid false) by their digits; "is_valid" rather than
        # "e164 IS NULL" so the planner takes the digits_rev range, not every NULL of the e164 index
        sql = f"e164 = {p} OR (digits_rev >= {p} AND digits_rev < {p} AND is_valid = {p})"
        params = [query.e164, query.suffix_rev, high, False]
    else:
        sql = f"digits_rev >= {p} AND digits_rev < {p}"
        params = [query.suffix_rev, high]
    rows = db.execute_sql(f"SELECT person_id, company_id FROM phone WHERE {sql} LIMIT {int(limit) * 4}", params)
    refs: dict[Ref, None] = {}
    for pid, cid in rows:
        refs.setdefault(("person", pid) if pid else ("company", cid), None)
    return list(refs)


def _email_refs(text: str, limit: int) -> list[Ref]:
    rows = Email.select(Email.person, Email.company).where(prefix_range(Email.address_lower, text.lower())).limit(limit * 4).tuples()
    return list(dict.fromkeys(("person", p) if p else ("company", c) for p, c in rows))


_HIGH = "\U0010ffff"  # prefix_range(): every string starting with a prefix is below prefix + this
_FEW = 2_000  # persons of the companies having a probe word, up to which they are listed in the probe
_DENSE_COMPANIES = 5_000  # companies having a probe word, up to which they are listed in Python
_DENSE = 20_000  # persons of a token's companies above which they are found by scanning persons in id order


def _token_refs(words: list[str], limit: int) -> list[Ref]:
    """Cards having a word starting with each query word: a company by its own tokens, a person by
    its own tokens or its company's (a person's rows hold its name words only; the company's words
    are reached through ``person.company_id``).

    The longest word drives; each other word is an EXISTS probe on the card's few tokens (and, for
    a person, its company's). The hits are the first ``limit * 4`` rows of the index order
    (token, kind, ref_id) — the order in which the single index range used to deliver them when a
    person's rows also held its company's words — so the same cards come back. Walked one token
    value at a time (MIN on the index): within a value, companies (kind 'c') by id, then persons by
    id — those holding the word themselves (an index range) merged with those whose company holds
    it (the persons of those companies by id, or, when there are thousands, persons in id order
    probed for their company), each fetch limited to what is still missing."""
    words = sorted(set(words), key=len, reverse=True)[:6]
    if not words:
        return []
    db = SearchToken._meta.database
    p = db.param
    first, rest = words[0], words[1:]
    wanted = int(limit) * 4
    # For each other word w (kind || '' keeps SQLite on the token range, not on all companies' rows):
    # comp_word[w] — the companies having a word starting with w, when not thousands (else None);
    # via_word[w] — the persons of those companies, when few: a person row's probe for w is then
    # "own word OR one of these ids" (no lookup of the person's company for each row).
    via_word: dict[str, list[int] | None] = {}
    comp_word: dict[str, set[int] | None] = {}  # filled when first needed (via_company)

    def companies_with(w: str) -> set[int] | None:
        if w not in comp_word:
            rows = db.execute_sql(
                f"SELECT ref_id FROM search_token c WHERE c.token >= {p} AND c.token < {p} AND c.kind || '' = 'c' "
                f"LIMIT {_DENSE_COMPANIES + 1}", [w, w + _HIGH]).fetchall()
            # complete only if the LIMIT was not reached (count rows: a company may have two such words)
            comp_word[w] = {cid for (cid,) in rows} if len(rows) <= _DENSE_COMPANIES else None
        return comp_word[w]

    for w in rest:
        ids = [pid for (pid,) in db.execute_sql(
            f"SELECT q.id FROM search_token c JOIN person q ON q.company_id = c.ref_id "
            f"WHERE c.token >= {p} AND c.token < {p} AND c.kind || '' = 'c' LIMIT {_FEW + 1}", [w, w + _HIGH])]
        via_word[w] = ids if len(ids) <= _FEW else None

    def probes(kind: str, ref: str, company: str | None, person_row: str | None = None) -> tuple[str, list]:
        """SQL (and its parameters) for: the card matches every word but the first. ``company`` is
        the person's company id column (NULL for a company row); ``person_row`` a condition that
        the row is a person's, for the few-persons form."""
        parts, params = [], []
        for w in rest:
            own = f"EXISTS (SELECT 1 FROM search_token x WHERE x.kind = {kind} AND x.ref_id = {ref} AND x.token >= {p} AND x.token < {p})"
            params += [w, w + _HIGH]
            few = via_word[w]
            if company is None:
                pass
            elif few is not None:
                if few:
                    cond = f"{ref} IN ({','.join(str(int(i)) for i in few)})"
                    own = f"({own} OR ({person_row} AND {cond}))" if person_row else f"({own} OR {cond})"
            else:
                own = (f"({own} OR EXISTS (SELECT 1 FROM search_token y WHERE y.kind = 'c' AND y.ref_id = {company} "
                       f"AND y.token >= {p} AND y.token < {p}))")
                params += [w, w + _HIGH]
            parts.append(own)
        return "".join(f" AND {x}" for x in parts), params

    if rest:
        # companies: own tokens; persons: own tokens or the company's (p.company_id; NULL for a company row)
        row_sql, row_params = probes("s.kind", "s.ref_id", "p.company_id", "s.kind = 'p'")
        join = "" if all(via_word[w] is not None for w in rest) else " LEFT JOIN person p ON s.kind = 'p' AND p.id = s.ref_id"
        rows_q = (f"SELECT s.kind, s.ref_id FROM search_token s{join} "
                  f"WHERE s.token = {p}{row_sql} ORDER BY s.kind, s.ref_id LIMIT {p}")
    else:
        row_params = []
        rows_q = f"SELECT s.kind, s.ref_id FROM search_token s WHERE s.token = {p} ORDER BY s.kind, s.ref_id LIMIT {p}"
    # the same for a batch of (id, company_id, m0, m1, …): mK = 1/0 when the company has / lacks word K,
    # -1 when that is not known (too many companies have it to list them)
    marked_sql, marked_params = "", []
    for k, w in enumerate(rest):
        marked_sql += (f" AND (q.m{k} = 1 OR EXISTS (SELECT 1 FROM search_token x WHERE x.kind = 'p' AND x.ref_id = q.id "
                       f"AND x.token >= {p} AND x.token < {p}) OR (q.m{k} = -1 AND EXISTS (SELECT 1 FROM search_token y "
                       f"WHERE y.kind = 'c' AND y.ref_id = q.company_id AND y.token >= {p} AND y.token < {p})))")
        marked_params += [w, w + _HIGH, w, w + _HIGH]
    not_own = f"NOT EXISTS (SELECT 1 FROM search_token o WHERE o.token = {p} AND o.kind = 'p' AND o.ref_id = q.id)"
    members_sql = f"FROM search_token c JOIN person q ON q.company_id = c.ref_id WHERE c.token = {p} AND c.kind = 'c'"
    count_q = f"SELECT COUNT(*) FROM (SELECT 1 {members_sql} LIMIT {_DENSE + 1}) n"
    listed_sql, listed_params = probes("'p'", "q.id", "q.company_id")  # the few persons' ids where listed
    by_person_q = (f"SELECT q.id FROM person q WHERE q.company_id IS NOT NULL AND EXISTS (SELECT 1 FROM search_token c "
                   f"WHERE c.token = {p} AND c.kind = 'c' AND c.ref_id = q.company_id) AND {not_own}{listed_sql} "
                   f"ORDER BY q.id LIMIT {p}")
    next_q = f"SELECT MIN(token) FROM search_token WHERE token >= {p} AND token < {p}"
    next_after_q = f"SELECT MIN(token) FROM search_token WHERE token > {p} AND token < {p}"

    def via_company(token: str, room: int) -> list[int]:
        """Persons (by id, at most ``room``) whose company has ``token`` and who match the other
        words, without the token themselves (those came with the token's own rows)."""
        n = db.execute_sql(count_q, [token]).fetchone()[0]
        if n > _DENSE:  # a word of tens of thousands of persons' companies: persons in id order
            return [pid for (pid,) in db.execute_sql(by_person_q, [token, token, *listed_params, room])]
        if not n:
            return []
        # (id, company_id) from the person_company_id index alone; the probes then read only
        # search_token's indexes, never the person rows (random reads all over a large table);
        # whether each member's company has each other word is known from comp_word (else probed)
        members = sorted(db.execute_sql(f"SELECT q.id, q.company_id {members_sql}", [token]).fetchall())
        out: list[int] = []
        i, step = 0, 256
        while i < len(members) and len(out) < room:  # in id order, a (growing) batch at a time, until enough
            rows = []
            listed = [companies_with(w) for w in rest]
            for pid, cid in members[i: i + step]:
                marks = ["-1" if c is None else ("1" if cid in c else "0") for c in listed]
                rows.append(f"({int(pid)}, {int(cid)}{''.join(', ' + m for m in marks)})")
            out += [pid for (pid,) in db.execute_sql(
                f"WITH q(id, company_id{''.join(f', m{k}' for k in range(len(rest)))}) AS (VALUES {','.join(rows)}) "
                f"SELECT q.id FROM q WHERE {not_own}{marked_sql} ORDER BY q.id", [token, *marked_params])]
            i, step = i + step, step * 2
        return out[:room]

    refs: dict[Ref, None] = {}
    taken = 0
    token = db.execute_sql(next_q, [first, first + _HIGH]).fetchone()[0]
    while token is not None and taken < wanted:
        room = wanted - taken
        got = db.execute_sql(rows_q, [token, *row_params, room]).fetchall()
        companies = [rid for k, rid in got if k == "c"]
        persons = [rid for k, rid in got if k == "p"]
        if len(companies) < room:
            via = via_company(token, room - len(companies))
            if via:
                persons = list(heapq.merge(persons, via))[: room - len(companies)]
        for rid in companies:
            refs.setdefault(("company", rid), None)
        for rid in persons:
            refs.setdefault(("person", rid), None)
        taken += len(companies) + len(persons)
        token = db.execute_sql(next_after_q, [token, first + _HIGH]).fetchone()[0]
    return list(refs)


def _tag_refs(text: str, limit: int) -> list[Ref]:
    key = search_key(text)
    tag_ids = [t for (t,) in Tag.select(Tag.id).where(prefix_range(Tag.name_key, key)).limit(50).tuples()]
    if not tag_ids:
        return []
    persons = PersonTag.select(PersonTag.person).where(PersonTag.tag.in_(tag_ids)).limit(limit * 2).tuples()
    companies = CompanyTag.select(CompanyTag.company).where(CompanyTag.tag.in_(tag_ids)).limit(limit * 2).tuples()
    return [("company", c) for (c,) in companies] + [("person", p) for (p,) in persons]


def _inn_refs(text: str, limit: int) -> list[Ref]:
    return [("company", c) for (c,) in Company.select(Company.id).where(prefix_range(Company.inn, text)).limit(limit).tuples()]


def classify(query: str) -> str:
    q = query.strip()
    if q.startswith("#"):
        return "tag"
    if "@" in q:
        return "email"
    if re.fullmatch(r"\d{10}|\d{12}", q):
        return "inn_or_phone"
    if phone_svc.looks_like_phone(q):
        return "phone"
    return "name"


def search(
    actor: Actor,
    query: str,
    *,
    limit: int = 50,
    include_archived: bool = False,
    region: str = phone_svc.DEFAULT_REGION,
    with_phones: bool = True,
) -> list[CardHit]:
    """Cards matching ``query``, best first. ``with_phones=False`` leaves ``phone_raw``/``phone_e164``
    empty (one query less, for callers that load whole cards anyway, such as `tuicrm lookup`)."""
    query = (query or "").strip()
    if not query:
        return []
    kind = classify(query)
    matched: dict[Ref, str] = {}

    def add(refs: list[Ref], how: str) -> None:
        for ref in refs:
            matched.setdefault(ref, how)

    if kind == "tag":
        add(_tag_refs(query[1:], limit), "tag")
    elif kind == "email":
        add(_email_refs(query, limit), "email")
    else:
        if kind in ("phone", "inn_or_phone"):
            pq = phone_svc.phone_query(query, region)
            if pq:
                add(_phone_refs(pq, limit), "phone")
        if kind == "inn_or_phone" or (query.isdigit() and len(query) >= 4):
            add(_inn_refs(query, limit), "inn")
        if kind == "name" or not matched:
            words = tokens(query)
            if words:
                add(_token_refs(words, limit), "name")
            if "@" not in query and len(query) >= 3 and kind == "name":
                add(_email_refs(query, limit), "email")
    return hydrate(actor, matched, limit=limit, include_archived=include_archived, with_phones=with_phones)


def hydrate(actor: Actor, matched: dict[Ref, str], *, limit: int, include_archived: bool = False,
            with_phones: bool = True) -> list[CardHit]:
    """The hits' cards (visible to the actor; archived ones only if asked), best first. Plain SQL
    with the ids inlined (ints): peewee spent longer building these statements than running them."""
    person_ids = [i for (k, i) in matched if k == "person"]
    company_ids = [i for (k, i) in matched if k == "company"]
    hits: list[CardHit] = []
    db = Person._meta.database
    if person_ids:
        rows = db.execute_sql(
            'SELECT p.id, p.full_name, c.name, p.company_id, p.position, o.name, p.archived_at FROM person p '
            'LEFT JOIN company c ON p.company_id = c.id LEFT JOIN "user" o ON p.owner_id = o.id '
            f"WHERE p.id IN ({_ints(person_ids[: limit * 4])}) AND {visible_sql('p', actor)}"
            + ("" if include_archived else " AND p.archived_at IS NULL")
            + f" ORDER BY p.name_key, p.id LIMIT {int(limit)}"
        ).fetchall()
        phones = _primary_phones(person_ids=[r[0] for r in rows]) if with_phones else {}
        for pid, name, cname, cid, position, owner, archived in rows:
            raw, e164 = phones.get(("person", pid), (None, None))
            hits.append(CardHit("person", pid, name, cname, cid, position, raw, e164, owner, archived is not None, matched[("person", pid)]))
    if company_ids:
        rows = db.execute_sql(
            'SELECT c.id, c.name, c.industry, o.name, c.archived_at FROM company c LEFT JOIN "user" o ON c.owner_id = o.id '
            f"WHERE c.id IN ({_ints(company_ids[: limit * 4])}) AND {visible_sql('c', actor)}"
            + ("" if include_archived else " AND c.archived_at IS NULL")
            + f" ORDER BY c.name_key, c.id LIMIT {int(limit)}"
        ).fetchall()
        phones = _primary_phones(company_ids=[r[0] for r in rows]) if with_phones else {}
        for cid, name, industry, owner, archived in rows:
            raw, e164 = phones.get(("company", cid), (None, None))
            hits.append(CardHit("company", cid, name, None, None, industry, raw, e164, owner, archived is not None, matched[("company", cid)]))
    order = {"phone": 0, "inn": 1, "email": 2, "tag": 3, "name": 4}
    hits.sort(key=lambda h: (order.get(h.matched, 9), 0 if h.kind == "company" and h.matched == "inn" else 1, search_key(h.name)))
    return hits[:limit]


def _ints(ids) -> str:
    return ",".join(str(int(i)) for i in ids) or "NULL"


def _primary_phones(person_ids=(), company_ids=()) -> dict[Ref, tuple[str, str | None]]:
    """The first phone (primary, then by position) of each card. Plain SQL, ids inlined (ints)."""
    out: dict[Ref, tuple[str, str | None]] = {}
    db = Phone._meta.database
    for kind, ids in (("person", person_ids), ("company", company_ids)):
        if ids:
            rows = db.execute_sql(
                f"SELECT {kind}_id, raw, e164 FROM phone WHERE {kind}_id IN ({_ints(ids)}) "
                'ORDER BY is_primary DESC, "position"'
            )
            for rid, raw, e164 in rows:
                out.setdefault((kind, rid), (raw, e164))
    return out
