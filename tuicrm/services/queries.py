"""Small read helpers shared by search, cards, lists and exports: who may see a card, a card's
tags. Kept apart from services.contacts (the write side) so read paths such as `tuicrm lookup`
import little."""

from __future__ import annotations

import peewee

from tuicrm.model import Company, CompanyTag, Person, PersonTag, Tag
from tuicrm.services.base import Actor

SHARED = "shared"  # enums.Visibility.SHARED (a StrEnum, equal to it): read paths skip the enums module


def visible(model: type[Person] | type[Company], actor: Actor) -> peewee.Expression:
    """Cards the actor may see: all for heads/admins; shared ones and their own for managers."""
    if actor.sees_all:
        return peewee.SQL("1 = 1")
    return (model.visibility == SHARED) | (model.owner == actor.user_id)


def visible_sql(alias: str, actor: Actor) -> str:
    """``visible()`` for plain SQL on the person/company table aliased ``alias`` (read paths that
    skip peewee's statement building): the same rule, tested against it."""
    if actor.sees_all:
        return "1 = 1"
    owner = "IS NULL" if actor.user_id is None else f"= {int(actor.user_id)}"
    return f"({alias}.visibility = '{SHARED}' OR {alias}.owner_id {owner})"


def int_in(field, ids) -> peewee.Expression:
    """``field IN (1, 2, 3)`` with the integers inlined: peewee builds one node per parameter,
    which costs more than the query itself for a page of ids (ids are ints, so this is safe)."""
    values = ",".join(str(int(i)) for i in ids) or "NULL"
    return peewee.Expression(field, "IN", peewee.SQL(f"({values})"))


def tags_of(*, person_id=None, company_id=None) -> list[str]:
    if person_id:
        q = Tag.select(Tag.name).join(PersonTag, on=(PersonTag.tag == Tag.id)).where(PersonTag.person == person_id)
    else:
        q = Tag.select(Tag.name).join(CompanyTag, on=(CompanyTag.tag == Tag.id)).where(CompanyTag.company == company_id)
    return [name for (name,) in q.order_by(Tag.name).tuples()]
