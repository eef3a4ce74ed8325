"""Undo an import batch: delete what it created, revert what it merged (in one transaction).

A merged field is reverted only while it still holds the value the import wrote; a field somebody
changed since is left alone and reported.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from tuicrm.db.connection import write_tx
from tuicrm.i18n import _
from tuicrm.model import (
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
    Tag,
    utcnow,
)
from tuicrm.model.enums import ImportStatus
from tuicrm.services.base import Actor, Forbidden, NotFound, ServiceError, audit

_CHILD = {"phone": Phone, "email": Email, "person_tag": PersonTag, "company_tag": CompanyTag}


@dataclass
class UndoReport:
    batch_id: int
    persons_deleted: int = 0
    companies_deleted: int = 0
    deals_deleted: int = 0
    cards_reverted: int = 0
    kept: list[str] = field(default_factory=list)  # fields not reverted because they changed since


def _norm(v):
    if hasattr(v, "isoformat"):
        return v.isoformat()
    return v


def undo_batch(actor: Actor, batch_id: int) -> UndoReport:
    batch = ImportBatch.get_or_none(ImportBatch.id == batch_id)
    if batch is None:
        raise NotFound(_("no import #{id}").format(id=batch_id))
    if batch.status == ImportStatus.UNDONE:
        raise ServiceError(_("import #{id} was already undone").format(id=batch_id))
    if batch.status != ImportStatus.DONE:
        raise ServiceError(_("import #{id} did not finish; there is nothing to undo").format(id=batch_id))
    if not actor.sees_all and batch.user_id != actor.user_id:
        raise Forbidden(_("only the user who ran import #{id} or a head can undo it").format(id=batch_id))
    rep = UndoReport(batch_id)
    with write_tx():
        # 1. revert merged fields
        for item in ImportItem.select().where((ImportItem.batch == batch_id) & (ImportItem.action == "merged")):
            model = Person if item.entity == "person" else Company
            rec = model.get_or_none(model.id == item.entity_id)
            if rec is None:
                continue
            changes = {}
            for fname, (old, new) in json.loads(item.before or "{}").items():
                current = getattr(rec, f"{fname}_id") if fname in ("company", "owner") else getattr(rec, fname)
                if _norm(current) == new:
                    changes[fname] = old
                else:
                    rep.kept.append(_("{entity} #{id}: {field} changed since the import; left as is").format(
                        entity=item.entity, id=item.entity_id, field=fname))
            if changes:
                model.update(**changes, updated_at=utcnow(), row_version=model.row_version + 1).where(model.id == rec.id).execute()
                rep.cards_reverted += 1
                audit(actor, item.entity, rec.id, "undo_import", {"batch": [batch_id, None]})
        # 2. children added to cards that existed before
        for entity, model in _CHILD.items():
            ids = ImportItem.select(ImportItem.entity_id).where((ImportItem.batch == batch_id) & (ImportItem.entity == entity) & (ImportItem.action == "created"))
            model.delete().where(model.id.in_(ids)).execute()
        Note.delete().where(Note.import_batch == batch_id).execute()
        # 3. created cards (phones, emails, tag links cascade; others' links to them become empty)
        rep.deals_deleted = Deal.delete().where(Deal.import_batch == batch_id).execute()
        pids = Person.select(Person.id).where(Person.import_batch == batch_id)
        SearchToken.delete().where((SearchToken.kind == "p") & SearchToken.ref_id.in_(pids)).execute()
        rep.persons_deleted = Person.delete().where(Person.import_batch == batch_id).execute()
        cids = Company.select(Company.id).where(Company.import_batch == batch_id)
        SearchToken.delete().where((SearchToken.kind == "c") & SearchToken.ref_id.in_(cids)).execute()
        # persons left in them get company NULL (ON DELETE SET NULL); their rows hold only their names
        rep.companies_deleted = Company.delete().where(Company.import_batch == batch_id).execute()
        # 4. tags the import created and nothing uses now
        tag_ids = ImportItem.select(ImportItem.entity_id).where((ImportItem.batch == batch_id) & (ImportItem.entity == "tag"))
        for (tid,) in Tag.select(Tag.id).where(Tag.id.in_(tag_ids)).tuples():
            if not PersonTag.select().where(PersonTag.tag == tid).exists() and not CompanyTag.select().where(CompanyTag.tag == tid).exists():
                Tag.delete().where(Tag.id == tid).execute()
        ImportBatch.update(status=ImportStatus.UNDONE, undone_at=utcnow()).where(ImportBatch.id == batch_id).execute()
        audit(actor, "import", batch_id, "undo", {"persons": [rep.persons_deleted, 0], "companies": [rep.companies_deleted, 0]})
    return rep
