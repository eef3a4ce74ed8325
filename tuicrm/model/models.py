"""Peewee models for the whole product (PRODUCT.md), on one DatabaseProxy.

Conventions
- Datetimes are naive UTC (``utcnow()``); the UI converts to the user's zone.
- Money is an integer number of minor units (kopecks) in ``amount_minor`` plus a currency code.
- Enumerations are short strings (see ``tuicrm.model.enums``).
- Editable records carry ``created_at``, ``updated_at`` and ``row_version``; a write that expects
  version N updates ``WHERE id = ? AND row_version = N`` (optimistic locking, see services.base).
- Cards a user may want back are archived (``archived_at``), never deleted.
- ``name_key`` columns hold ``search_key(text)``: casefolded, ё→е, single-spaced.
"""

from __future__ import annotations

import copy
import datetime as dt

import peewee
from peewee import (
    SQL,
    BigIntegerField,
    BooleanField,
    Check,
    DatabaseProxy,
    DateField,
    DateTimeField,
    ForeignKeyField,
    IntegerField,
    Model,
    SmallIntegerField,
)

database = DatabaseProxy()


class _NoNul:
    """PostgreSQL text cannot hold NUL characters (SQLite can): a pasted or imported NUL is
    dropped on the way in, the same on both engines, instead of failing the whole write."""

    def db_value(self, value):
        value = super().db_value(value)
        if isinstance(value, str) and "\x00" in value:
            value = value.replace("\x00", "")
        return value


class CharField(_NoNul, peewee.CharField):
    pass


class TextField(_NoNul, peewee.TextField):
    pass


def _system_utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None, microsecond=0)


_clock = _system_utcnow


def utcnow() -> dt.datetime:
    """Naive UTC now, second precision (what we store everywhere). Tests may fix it: set_clock()."""
    return _clock()


def set_clock(fn=None) -> None:
    """Make ``utcnow()`` return ``fn()`` (a fixed time for deterministic tests); None restores it."""
    global _clock
    _clock = fn or _system_utcnow


class _Inherited:
    """A field every model inherits: peewee deep-copies it into each one (~100 copies when this
    module is imported, a quarter of the import); these fields hold no mutable state, so a
    shallow copy is the same field, much cheaper (the start of `tuicrm lookup`)."""

    def __deepcopy__(self, memo):
        return copy.copy(self)


class _AutoField(_Inherited, peewee.AutoField):
    pass


class _DateTimeField(_Inherited, DateTimeField):
    pass


class _IntegerField(_Inherited, IntegerField):
    pass


class BaseModel(Model):
    id = _AutoField()  # what peewee adds when no key is declared

    class Meta:
        database = database
        legacy_table_names = False


class Editable(BaseModel):
    """A record a user edits: timestamps and a row version for optimistic locking."""

    created_at = _DateTimeField(default=utcnow)
    updated_at = _DateTimeField(default=utcnow)
    row_version = _IntegerField(default=1)


# --- people who use the CRM ------------------------------------------------------------------


class User(Editable):
    login = CharField(max_length=64, unique=True)
    name = CharField(max_length=200)
    role = CharField(max_length=16, default="manager")  # enums.Role
    email = CharField(max_length=254, null=True)
    timezone = CharField(max_length=64, null=True)  # IANA name
    daily_call_target = IntegerField(null=True)
    is_active = BooleanField(default=True)


# --- import batches first: cards point at the batch that created them -------------------------


class ImportBatch(BaseModel):
    filename = CharField(max_length=500)
    sheet = CharField(max_length=200, null=True)
    preset = CharField(max_length=100, null=True)
    policy = CharField(max_length=16, default="merge")  # merge / skip / create
    mapping = TextField(null=True)  # JSON: column -> field
    user = ForeignKeyField(User, null=True, on_delete="SET NULL")
    started_at = DateTimeField(default=utcnow)
    finished_at = DateTimeField(null=True)
    undone_at = DateTimeField(null=True)
    status = CharField(max_length=16, default="running")  # enums.ImportStatus
    rows_total = IntegerField(default=0)
    created = IntegerField(default=0)
    merged = IntegerField(default=0)
    skipped = IntegerField(default=0)
    rejected = IntegerField(default=0)
    report = TextField(null=True)  # JSON: per-row reasons


# --- organizations and their people ----------------------------------------------------------


class Company(Editable):
    name = CharField(max_length=300)
    name_key = CharField(max_length=300, index=True)
    legal_form = CharField(max_length=32, null=True)  # ООО, АО, ИП…
    inn = CharField(max_length=12, null=True, index=True)  # tax id
    kpp = CharField(max_length=9, null=True)
    ogrn = CharField(max_length=15, null=True)
    address = TextField(null=True)
    site = CharField(max_length=300, null=True)
    industry = CharField(max_length=200, null=True)
    segment = CharField(max_length=100, null=True, index=True)
    source = CharField(max_length=200, null=True)
    owner = ForeignKeyField(User, null=True, on_delete="SET NULL", backref="companies", index=False)  # (owner, name_key)
    visibility = CharField(max_length=16, default="shared")  # enums.Visibility
    created_by = ForeignKeyField(User, null=True, on_delete="SET NULL", backref="+")
    import_batch = ForeignKeyField(ImportBatch, null=True, on_delete="SET NULL", backref="+")
    # Denormalized by services.activities for lists and plan-tomorrow at scale:
    last_contact_at = DateTimeField(null=True)
    next_activity_at = DateTimeField(null=True)
    archived_at = DateTimeField(null=True)
    merged_into = ForeignKeyField("self", null=True, on_delete="SET NULL", backref="+")

    class Meta:
        indexes = (
            (("owner", "name_key"), False),
            (("last_contact_at",), False),
            (("next_activity_at",), False),  # contacts list sorted by next task
            (("next_activity_at", "name_key"), False),  # "no next step" by name (IS NULL + order)
            (("visibility", "owner"), False),  # the few private cards (funnel visibility)
        )


class Person(Editable):
    last_name = CharField(max_length=100, default="")
    first_name = CharField(max_length=100, default="")
    middle_name = CharField(max_length=100, default="")
    full_name = CharField(max_length=320)  # as displayed; kept in step by services
    name_key = CharField(max_length=320, index=True)
    position = CharField(max_length=200, null=True)
    company = ForeignKeyField(Company, null=True, on_delete="SET NULL", backref="persons")
    birthday = DateField(null=True)
    source = CharField(max_length=200, null=True)
    owner = ForeignKeyField(User, null=True, on_delete="SET NULL", backref="persons", index=False)  # (owner, name_key)
    visibility = CharField(max_length=16, default="shared")
    created_by = ForeignKeyField(User, null=True, on_delete="SET NULL", backref="+")
    import_batch = ForeignKeyField(ImportBatch, null=True, on_delete="SET NULL", backref="+")
    last_contact_at = DateTimeField(null=True)
    next_activity_at = DateTimeField(null=True)
    archived_at = DateTimeField(null=True)
    merged_into = ForeignKeyField("self", null=True, on_delete="SET NULL", backref="+")

    class Meta:
        indexes = (
            (("owner", "name_key"), False),
            (("last_contact_at",), False),
            (("next_activity_at",), False),  # contacts list sorted by next task
            (("next_activity_at", "name_key"), False),  # "no next step" by name (IS NULL + order)
            (("visibility", "owner"), False),  # the few private cards (funnel visibility)
        )


class Phone(BaseModel):
    """A phone of a person or of a company (exactly one of the two)."""

    person = ForeignKeyField(Person, null=True, on_delete="CASCADE", backref="phones")
    company = ForeignKeyField(Company, null=True, on_delete="CASCADE", backref="phones")
    raw = CharField(max_length=500)  # exactly as typed or imported
    e164 = CharField(max_length=20, null=True, index=True)  # None when not valid
    extension = CharField(max_length=20, null=True)
    digits_rev = CharField(max_length=40, index=True)  # reversed national digits: suffix search
    kind = CharField(max_length=16, default="mobile")  # enums.PhoneKind
    is_valid = BooleanField(default=True)
    invalid_reason = CharField(max_length=200, null=True)
    note = CharField(max_length=200, null=True)  # label stripped from the raw text
    is_primary = BooleanField(default=False)
    position = SmallIntegerField(default=0)
    created_at = DateTimeField(default=utcnow)

    class Meta:
        constraints = [Check("(person_id IS NULL) <> (company_id IS NULL)")]


class Email(BaseModel):
    person = ForeignKeyField(Person, null=True, on_delete="CASCADE", backref="emails")
    company = ForeignKeyField(Company, null=True, on_delete="CASCADE", backref="emails")
    address = CharField(max_length=254)
    address_lower = CharField(max_length=254, index=True)
    kind = CharField(max_length=16, default="work")
    is_valid = BooleanField(default=True)
    is_primary = BooleanField(default=False)
    position = SmallIntegerField(default=0)
    created_at = DateTimeField(default=utcnow)

    class Meta:
        constraints = [Check("(person_id IS NULL) <> (company_id IS NULL)")]


class SearchToken(BaseModel):
    """Inverted index of name words for prefix search in any word order on both engines.

    ``kind`` is 'p' (person) or 'c' (company); ``ref_id`` the card's id. A card's rows are the
    words of its own name (``services.base.tokens``) — a person's do not repeat its company's:
    search reaches a person by its company's words through the company's 'c' rows and
    ``person.company_id`` (schema version 5). ``(kind, ref_id, token)`` answers search's
    per-card probes from the index alone.
    """

    token = CharField(max_length=64)
    kind = CharField(max_length=1)
    ref_id = IntegerField()

    class Meta:
        primary_key = False
        indexes = (
            (("token", "kind", "ref_id"), False),
            (("kind", "ref_id", "token"), False),
        )


class Tag(BaseModel):
    name = CharField(max_length=100)
    name_key = CharField(max_length=100, unique=True)
    color = CharField(max_length=16, null=True)


class PersonTag(BaseModel):
    person = ForeignKeyField(Person, on_delete="CASCADE", backref="tag_links", index=False)  # (person, tag)
    tag = ForeignKeyField(Tag, on_delete="CASCADE", backref="+")

    class Meta:
        indexes = ((("person", "tag"), True), (("tag",), False))


class CompanyTag(BaseModel):
    company = ForeignKeyField(Company, on_delete="CASCADE", backref="tag_links", index=False)  # (company, tag)
    tag = ForeignKeyField(Tag, on_delete="CASCADE", backref="+")

    class Meta:
        indexes = ((("company", "tag"), True), (("tag",), False))


class CustomField(Editable):
    entity = CharField(max_length=16)  # person / company / deal
    code = CharField(max_length=64)
    label = CharField(max_length=200)
    kind = CharField(max_length=16, default="text")  # enums.CustomFieldKind
    choices = TextField(null=True)  # JSON list for kind=choice
    position = SmallIntegerField(default=0)
    archived_at = DateTimeField(null=True)

    class Meta:
        indexes = ((("entity", "code"), True),)


# --- funnel ----------------------------------------------------------------------------------


class Pipeline(Editable):
    name = CharField(max_length=200)
    is_default = BooleanField(default=False)
    position = SmallIntegerField(default=0)
    archived_at = DateTimeField(null=True)


class Stage(Editable):
    pipeline = ForeignKeyField(Pipeline, on_delete="RESTRICT", backref="stages")
    name = CharField(max_length=200)
    position = SmallIntegerField(default=0)
    probability = SmallIntegerField(default=0)  # percent, the default for deals in it
    kind = CharField(max_length=8, default="open")  # enums.StageKind
    stale_days = IntegerField(null=True)  # a deal longer than this in the stage is stale
    archived_at = DateTimeField(null=True)

    class Meta:
        indexes = ((("pipeline", "position"), False),)


class LossReason(Editable):
    name = CharField(max_length=200, unique=True)
    needs_competitor = BooleanField(default=False)
    position = SmallIntegerField(default=0)
    archived_at = DateTimeField(null=True)


class Competitor(Editable):
    name = CharField(max_length=200, unique=True)
    site = CharField(max_length=300, null=True)
    archived_at = DateTimeField(null=True)


class Deal(Editable):
    title = CharField(max_length=300)
    title_key = CharField(max_length=300, index=True)
    pipeline = ForeignKeyField(Pipeline, on_delete="RESTRICT", backref="deals")
    stage = ForeignKeyField(Stage, on_delete="RESTRICT", backref="deals")
    person = ForeignKeyField(Person, null=True, on_delete="SET NULL", backref="deals")
    company = ForeignKeyField(Company, null=True, on_delete="SET NULL", backref="deals")
    amount_minor = BigIntegerField(default=0)
    currency = CharField(max_length=3, default="RUB")
    probability = SmallIntegerField(null=True)  # None: the stage's default
    owner = ForeignKeyField(User, null=True, on_delete="SET NULL", backref="deals")
    expected_close = DateField(null=True)
    stage_entered_at = DateTimeField(default=utcnow)
    closed_at = DateTimeField(null=True)
    loss_reason = ForeignKeyField(LossReason, null=True, on_delete="SET NULL", backref="+")
    competitor = ForeignKeyField(Competitor, null=True, on_delete="SET NULL", backref="+")
    source = CharField(max_length=200, null=True)
    position = IntegerField(default=0)  # order within its stage column
    import_batch = ForeignKeyField(ImportBatch, null=True, on_delete="SET NULL", backref="+")
    archived_at = DateTimeField(null=True)

    class Meta:
        indexes = (
            (("stage", "owner"), False),
            (("owner", "stage"), False),
            (("expected_close",), False),
            (("closed_at",), False),
            # covering index for the funnel's per-stage aggregates and the forecast (index-only scans)
            (("stage", "archived_at", "pipeline", "amount_minor", "stage_entered_at", "owner", "probability",
              "expected_close", "person", "company"), False),
            (("stage", "archived_at", "updated_at"), False),  # a funnel column's page, newest first
        )


class DealTag(BaseModel):
    deal = ForeignKeyField(Deal, on_delete="CASCADE", backref="tag_links")
    tag = ForeignKeyField(Tag, on_delete="CASCADE", backref="+")

    class Meta:
        indexes = ((("deal", "tag"), True), (("tag",), False))


class StageChange(BaseModel):
    deal = ForeignKeyField(Deal, on_delete="CASCADE", backref="stage_changes")
    from_stage = ForeignKeyField(Stage, null=True, on_delete="RESTRICT", backref="+")
    to_stage = ForeignKeyField(Stage, on_delete="RESTRICT", backref="+")
    user = ForeignKeyField(User, null=True, on_delete="SET NULL", backref="+")
    changed_at = DateTimeField(default=utcnow)
    note = TextField(null=True)
    # when the deal entered ``from_stage``: the changed_at of the deal's previous change in
    # (changed_at, id) order; NULL for the first change (schema version 3). Every writer sets it
    # (services.deals, the importer, the generator); the funnel's time in stage is
    # changed_at - entered_at, without a window over the history.
    entered_at = DateTimeField(null=True)

    class Meta:
        indexes = (
            # a deal's history; the funnel's per-deal pass reads it in deal order (version 3: + to_stage)
            (("deal", "changed_at", "to_stage"), False),
            (("changed_at",), False),
            # reports: stage changes in a period, read from the index alone (version 3: + entered_at)
            (("changed_at", "to_stage", "deal", "from_stage", "entered_at"), False),
        )


class SalesTarget(Editable):
    """A head's monthly plan figure for a manager (reports: won against plan)."""

    user = ForeignKeyField(User, on_delete="CASCADE", backref="targets")
    month = DateField()  # first day of the month
    amount_minor = BigIntegerField(default=0)

    class Meta:
        indexes = ((("user", "month"), True),)


# --- activities, notes -----------------------------------------------------------------------


class Activity(Editable):
    kind = CharField(max_length=16)  # enums.ActivityKind
    subject = CharField(max_length=500, default="")
    due_at = DateTimeField(null=True)  # planned time, UTC
    duration_min = IntegerField(null=True)
    done_at = DateTimeField(null=True)  # completion time, UTC; None = open
    outcome = CharField(max_length=16, null=True)  # enums.Outcome
    result = TextField(null=True)
    person = ForeignKeyField(Person, null=True, on_delete="SET NULL", backref="activities")
    company = ForeignKeyField(Company, null=True, on_delete="SET NULL", backref="activities")
    deal = ForeignKeyField(Deal, null=True, on_delete="SET NULL", backref="activities")
    assignee = ForeignKeyField(User, null=True, on_delete="SET NULL", backref="activities")
    author = ForeignKeyField(User, null=True, on_delete="SET NULL", backref="+")
    follow_up_of = ForeignKeyField("self", null=True, on_delete="SET NULL", backref="follow_ups")
    import_batch = ForeignKeyField(ImportBatch, null=True, on_delete="SET NULL", backref="+")
    archived_at = DateTimeField(null=True)  # cancelled

    class Meta:
        indexes = (
            (("assignee", "due_at"), False),
            (("assignee", "done_at"), False),
            (("person", "due_at"), False),
            (("company", "due_at"), False),
            (("deal", "due_at"), False),
            (("deal", "done_at", "due_at"), False),  # a deal's next open step (funnel cards)
            (("done_at",), False),
            # reports: activity done in a period, read from the index alone (no table lookups)
            (("done_at", "assignee", "kind", "outcome", "archived_at"), False),
            (("assignee", "done_at", "kind", "outcome", "archived_at"), False),  # reports: per manager
            (("assignee", "kind", "done_at", "outcome", "archived_at"), False),  # reports: manager × kind (m0002)
            (("assignee", "due_at", "done_at", "archived_at"), False),  # reports: planned in a period
            (("assignee", "done_at", "due_at"), False),  # plan: a user's overdue open items, oldest first
            (("due_at",), False),
            (("created_at",), False),
        )



class ActivityDay(Model):
    """Per UTC day, manager (0 = nobody) and kind: activities done / reached / due / due and done,
    archived ones left out. Kept by database triggers on ``activity`` (tuicrm/db/activity_summary.py,
    schema version 4); read by the activity report for the whole UTC days of a period."""

    day = DateField()
    assignee_id = IntegerField()  # 0 = nobody (a key column cannot be NULL on both engines)
    kind = CharField(max_length=16)
    done = IntegerField(default=0)
    reached = IntegerField(default=0)
    planned = IntegerField(default=0)
    planned_done = IntegerField(default=0)

    class Meta:
        database = database
        table_name = "activity_day"
        # key order: a manager's rows of one kind are one range by day (the report seeks
        # manager × kind × bucket and meets its groups in key order, no sort)
        primary_key = peewee.CompositeKey("assignee_id", "kind", "day")

    @classmethod
    def create_table(cls, safe=True, **options):
        # SQLite: WITHOUT ROWID, the rows stored in key order (a day range is one contiguous read
        # with the counters beside the key); peewee would write that clause for PostgreSQL too
        cls._meta.without_rowid = isinstance(cls._meta.database.obj, peewee.SqliteDatabase)
        try:
            super().create_table(safe=safe, **options)
        finally:
            cls._meta.without_rowid = False

class Note(Editable):
    text = TextField()
    # each found by its (…, created_at) index below (schema version 6: no index of its own)
    person = ForeignKeyField(Person, null=True, on_delete="SET NULL", backref="notes", index=False)
    company = ForeignKeyField(Company, null=True, on_delete="SET NULL", backref="notes", index=False)
    deal = ForeignKeyField(Deal, null=True, on_delete="SET NULL", backref="notes", index=False)
    author = ForeignKeyField(User, null=True, on_delete="SET NULL", backref="+")
    import_batch = ForeignKeyField(ImportBatch, null=True, on_delete="SET NULL", backref="+")
    archived_at = DateTimeField(null=True)

    class Meta:
        indexes = (
            (("person", "created_at"), False),
            (("company", "created_at"), False),
            (("deal", "created_at"), False),
        )


class CustomValue(BaseModel):
    field = ForeignKeyField(CustomField, on_delete="CASCADE", backref="values")
    person = ForeignKeyField(Person, null=True, on_delete="CASCADE", backref="custom_values")
    company = ForeignKeyField(Company, null=True, on_delete="CASCADE", backref="custom_values")
    deal = ForeignKeyField(Deal, null=True, on_delete="CASCADE", backref="custom_values")
    value_text = TextField(null=True)
    value_number = BigIntegerField(null=True)  # numbers as integer thousandths
    value_date = DateField(null=True)

    class Meta:
        indexes = (
            (("field", "person"), False),
            (("field", "company"), False),
            (("field", "deal"), False),
        )


# --- bookkeeping -----------------------------------------------------------------------------


class ImportItem(BaseModel):
    """What an import changed on records it did not create, so the whole batch can be undone:
    a merged card (``before``), a phone/email/tag link added to an older card, a tag it created.
    Cards, deals and notes it created carry ``import_batch`` instead."""

    batch = ForeignKeyField(ImportBatch, on_delete="CASCADE", backref="items", index=False)  # (batch, entity)
    entity = CharField(max_length=16)  # enums.Entity
    entity_id = IntegerField()
    action = CharField(max_length=8)  # created / merged
    before = TextField(null=True)  # JSON of the fields a merge changed, to revert them

    class Meta:
        indexes = ((("batch", "entity"), False),)


class AuditLog(BaseModel):
    at = DateTimeField(default=utcnow)
    user = ForeignKeyField(User, null=True, on_delete="SET NULL", backref="+")
    entity = CharField(max_length=16)
    entity_id = IntegerField()
    action = CharField(max_length=32)  # create / update / archive / restore / merge / handover …
    changes = TextField(null=True)  # JSON {field: [old, new]}

    class Meta:
        indexes = ((("entity", "entity_id", "at"), False), (("at",), False))


class SavedReport(Editable):
    name = CharField(max_length=200)
    owner = ForeignKeyField(User, null=True, on_delete="CASCADE", backref="+")
    report = CharField(max_length=32)
    params = TextField()  # JSON
    slot = SmallIntegerField(null=True)  # number key

    class Meta:
        indexes = ((("owner", "name"), True),)


class ImportPreset(Editable):
    name = CharField(max_length=200, unique=True)
    mapping = TextField()  # JSON


class Setting(BaseModel):
    """Base-wide settings shared by the team (e.g. the default phone region)."""

    key = CharField(max_length=100, primary_key=True)
    value = TextField()  # JSON


ALL_MODELS = [
    User,
    ImportBatch,
    Company,
    Person,
    Phone,
    Email,
    SearchToken,
    Tag,
    PersonTag,
    CompanyTag,
    CustomField,
    Pipeline,
    Stage,
    LossReason,
    Competitor,
    Deal,
    DealTag,
    StageChange,
    SalesTarget,
    Activity,
    ActivityDay,
    Note,
    CustomValue,
    ImportItem,
    AuditLog,
    SavedReport,
    ImportPreset,
    Setting,
]

__all__ = [m.__name__ for m in ALL_MODELS] + ["BaseModel", "Editable", "database", "utcnow", "set_clock", "SQL"]
