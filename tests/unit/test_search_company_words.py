"""A person's search rows hold its own name words; its company's words find it through the
company's rows and ``person.company_id`` (schema version 5). The cards found are the ones the old
index found — where each person's rows repeated its company's words — in the same order and with
the same limit, checked against that old index rebuilt in Python. On SQLite and PostgreSQL."""

from __future__ import annotations

import itertools
import random

import pytest

from tests.unit.test_schema import blank_url  # noqa: F401 - fixture
from tuicrm.model import Company, Person, SearchToken
from tuicrm.services import contacts, search
from tuicrm.services.base import tokens

# words shared between persons' names and companies' names, with common prefixes
SURNAMES = ["иванов", "иванова", "ивашин", "ромашкин", "петров", "петрова", "сидоров", "ивлев"]
FIRST = ["иван", "ивана", "петр", "павел", "анна", "ирина", "роман"]
COMPANY_WORDS = ["ромашка", "ромашкин", "групп", "иванов", "сервис", "ива", "петровский", "анна"]
FORMS = ["ооо", "ао", "ип"]


def old_refs(words: list[str], limit: int) -> list[tuple[str, int]]:
    """The old index, built in Python from the base: a person's words = its name's + its company's
    not among them; the hits = the first ``limit * 4`` rows in (token, kind, ref_id) order whose
    card has a word starting with each query word, the longest query word giving the rows."""
    words = sorted(set(words), key=len, reverse=True)[:6]
    comp = {cid: tokens(name) for cid, name in Company.select(Company.id, Company.name).tuples()}
    cards = {("c", cid): ws for cid, ws in comp.items()}
    for pid, full, cid in Person.select(Person.id, Person.full_name, Person.company).tuples():
        own = tokens(full)
        cards[("p", pid)] = own + ([t for t in comp[cid] if t not in own] if cid else [])
    rows = []
    for (kind, rid), ws in cards.items():
        if all(any(t.startswith(w) for t in ws) for w in words[1:]):
            rows += [(t, kind, rid) for t in ws if t.startswith(words[0])]
    refs: dict[tuple[str, int], None] = {}
    for _t, kind, rid in sorted(rows)[: limit * 4]:
        refs.setdefault(("person" if kind == "p" else "company", rid), None)
    return list(refs)


@pytest.fixture
def base(actor):
    rnd = random.Random(5)
    cids = []
    for i in range(14):
        words = rnd.sample(COMPANY_WORDS, rnd.randint(1, 2))
        cids.append(contacts.create_company(actor, f"{rnd.choice(FORMS)} {' '.join(words)}"))
    for i in range(70):
        name = f"{rnd.choice(SURNAMES)} {rnd.choice(FIRST)}"
        cid = rnd.choice(cids) if i % 5 else None
        if i < 25:  # a big company: a third of the persons
            cid = cids[0]
        contacts.create_person(actor, full_name=name, company_id=cid)
    return cids


def queries() -> list[list[str]]:
    vocab = sorted(set(SURNAMES + FIRST + COMPANY_WORDS + FORMS))
    prefixes = sorted({w[:n] for w in vocab for n in (1, 2, 3, 4, len(w))})
    rnd = random.Random(9)
    qs = [[p] for p in prefixes]
    qs += [list(pair) for pair in rnd.sample(list(itertools.combinations(prefixes, 2)), 150)]
    qs += [list(t) for t in rnd.sample(list(itertools.combinations(prefixes, 3)), 60)]
    return qs


@pytest.mark.parametrize(("dense", "few", "companies"),
                         [(None, None, None), (3, None, None), (None, 0, 0), (3, 0, 0), (None, None, 2), (None, None, 6)],
                         ids=["by-company", "persons-in-id-order", "probes-in-sql", "all-in-sql", "companies-cut-2", "companies-cut-6"])
def test_the_same_cards_as_the_old_index(actor, base, monkeypatch, dense, few, companies):
    if dense is not None:  # every company word counts as one of tens of thousands of persons' companies
        monkeypatch.setattr(search, "_DENSE", dense)
    if few is not None:  # no probe word's company persons are few enough to be listed: join the person
        monkeypatch.setattr(search, "_FEW", few)
    if companies is not None:  # nor its companies (or only a few): probed in SQL
        monkeypatch.setattr(search, "_DENSE_COMPANIES", companies)
    checked = overflowing = 0
    for words in queries():
        for limit in (1, 2, 3, 50):
            expected = old_refs(words, limit)
            assert search._token_refs(words, limit) == expected, (words, limit)
            checked += 1
            overflowing += len(expected) >= limit * 4 // 2
    assert checked > 1000 and overflowing > 100  # the limits were reached, not only small answers


def test_person_rows_hold_only_its_name(actor):
    cid = contacts.create_company(actor, "ИП Иванов Пётр")
    pid = contacts.create_person(actor, full_name="Иванов Иван", company_id=cid)
    rows = SearchToken.select(SearchToken.token).where((SearchToken.kind == "p") & (SearchToken.ref_id == pid))
    assert sorted(t for (t,) in rows.tuples()) == ["иван", "иванов"]


def test_company_words_find_its_persons(actor):
    romashka = contacts.create_company(actor, "ООО «Ромашка Групп»")
    lutik = contacts.create_company(actor, "Лютик")
    ivan = contacts.create_person(actor, full_name="Иванов Иван", company_id=romashka)
    other = contacts.create_person(actor, full_name="Иванов Пётр", company_id=lutik)
    alone = contacts.create_person(actor, full_name="Ромашкин Семён")

    def found(q):
        return [(h.kind, h.id) for h in search.search(actor, q)]

    assert found("ромашка") == [("person", ivan), ("company", romashka)]
    assert found("иван ромашка") == [("person", ivan)]  # a word of its name and one of its company's
    assert found("ром ив гр") == [("person", ivan)]
    assert found("ромаш") == [("person", ivan), ("company", romashka), ("person", alone)]  # by name
    assert found("лютик ромашка") == [] and found("лютик иванов") == [("person", other)]
    assert found("иванов") == [("person", ivan), ("person", other)]
    # the company archived: its persons are still found by its words (as before), it is not
    contacts.archive(actor, "company", romashka)
    assert found("ромашка иван") == [("person", ivan)]


def test_renaming_a_company_leaves_its_persons_rows_alone(actor):
    cid = contacts.create_company(actor, "Ромашка")
    pids = [contacts.create_person(actor, full_name=f"Сотрудник {n}", company_id=cid) for n in ("Один", "Два")]
    before = sorted(SearchToken.select(SearchToken.token, SearchToken.ref_id).where(SearchToken.kind == "p").tuples())
    contacts.update_company(actor, cid, 1, name="Василёк")
    assert sorted(SearchToken.select(SearchToken.token, SearchToken.ref_id).where(SearchToken.kind == "p").tuples()) == before
    assert sorted(h.id for h in search.search(actor, "василек сотр") if h.kind == "person") == sorted(pids)
    assert search.search(actor, "ромашка") == []


# --- the upgrade from version 4 -------------------------------------------------------------------


def test_upgrade_from_version_4_keeps_only_the_persons_own_words(blank_url, tmp_path):  # noqa: F811
    from tests.schema_steps import upgrade_from
    from tuicrm.config import Settings
    from tuicrm.model import database
    from tuicrm.session import open_session

    session = open_session(blank_url, Settings(language="en"), user="tester")
    actor = session.actor
    ip = contacts.create_company(actor, "ИП Иванов Пётр")  # shares a word with its person
    romashka = contacts.create_company(actor, "ООО «Ромашка»")
    ivanov = contacts.create_person(actor, full_name="Иванов Иван", company_id=ip)
    petrov = contacts.create_person(actor, full_name="Петров Павел", company_id=romashka)
    alone = contacts.create_person(actor, full_name="Сидоров Сидор")
    gone = contacts.create_person(actor, full_name="Удалённый Человек")
    queries = ["иванов", "ип иван", "петр", "ромашка", "ооо пав", "сид", "ива ип", "удал"]
    expected = {q: [(h.kind, h.id) for h in search.search(actor, q)] for q in queries}
    # what version 4 had: every person's rows also hold its company's words not in its name, and
    # the (kind, ref_id) index; plus a word of a former company and rows of a deleted person
    db = database.obj
    for pid, cid in ((ivanov, ip), (petrov, romashka)):
        own = tokens(Person.get_by_id(pid).full_name)
        rows = [(t, "p", pid) for t in tokens(Company.get_by_id(cid).name) if t not in own]
        SearchToken.insert_many(rows, fields=[SearchToken.token, SearchToken.kind, SearchToken.ref_id]).execute()
    SearchToken.insert_many([("лютик", "p", alone)], fields=[SearchToken.token, SearchToken.kind, SearchToken.ref_id]).execute()
    Person.delete().where(Person.id == gone).execute()
    db.execute_sql('DROP INDEX "search_token_kind_ref_id_token"')
    db.execute_sql('CREATE INDEX "search_token_kind_ref_id" ON "search_token" ("kind", "ref_id")')
    upgrade_from(4, blank_url, tmp_path)

    rows = sorted(SearchToken.select(SearchToken.ref_id, SearchToken.token).where(SearchToken.kind == "p").tuples())
    assert rows == sorted([(ivanov, "иван"), (ivanov, "иванов"), (petrov, "павел"), (petrov, "петров"),
                           (alone, "сидор"), (alone, "сидоров")])
    assert sorted(SearchToken.select(SearchToken.token).where(SearchToken.kind == "c").tuples()) == sorted(
        [("ип",), ("иванов",), ("петр",), ("ооо",), ("ромашка",)])
    assert {ix.name for ix in database.obj.get_indexes("search_token")} == {
        "search_token_token_kind_ref_id", "search_token_kind_ref_id_token"}
    expected["удал"] = []  # the deleted person's rows are gone (it was never shown: hydrate found no card)
    assert {q: [(h.kind, h.id) for h in search.search(actor, q)] for q in queries} == expected


def test_a_cut_list_of_companies_is_not_taken_for_all_of_them(actor, monkeypatch):
    """The companies having a word starting with "ром" are listed up to _DENSE_COMPANIES; one
    company with two such words must not make a cut list look complete."""
    monkeypatch.setattr(search, "_DENSE_COMPANIES", 2)
    contacts.create_company(actor, "Роман")
    contacts.create_company(actor, "Ромашка Ромашкин")  # two rows starting with "ром"
    tele = contacts.create_company(actor, "Телеком Ромб")
    ivanov = contacts.create_person(actor, full_name="Иванов Иван", company_id=tele)
    assert search._token_refs(["телеком", "ром"], 50) == old_refs(["телеком", "ром"], 50) == [("company", tele), ("person", ivanov)]
