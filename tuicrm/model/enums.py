"""Short string codes stored in the base. Labels for the UI live in tuicrm.i18n."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    ADMIN = "admin"
    HEAD = "head"
    MANAGER = "manager"


class Visibility(StrEnum):
    SHARED = "shared"  # every user sees it
    PRIVATE = "private"  # only its owner and the heads/admins


class PhoneKind(StrEnum):
    MOBILE = "mobile"
    WORK = "work"
    HOME = "home"
    FAX = "fax"
    OTHER = "other"


class EmailKind(StrEnum):
    WORK = "work"
    PERSONAL = "personal"
    OTHER = "other"


class ActivityKind(StrEnum):
    CALL_OUT = "call_out"
    CALL_IN = "call_in"
    EMAIL = "email"
    FAX = "fax"
    LETTER = "letter"
    MEETING = "meeting"
    TASK = "task"

    @property
    def is_call(self) -> bool:
        return self in (ActivityKind.CALL_OUT, ActivityKind.CALL_IN)


class Outcome(StrEnum):
    REACHED = "reached"
    NO_ANSWER = "no_answer"
    BUSY = "busy"
    CALL_BACK = "call_back"
    REFUSED = "refused"
    OTHER = "other"

    @property
    def reached(self) -> bool:
        return self in (Outcome.REACHED, Outcome.REFUSED, Outcome.CALL_BACK)


class StageKind(StrEnum):
    OPEN = "open"
    WON = "won"
    LOST = "lost"


class CustomFieldKind(StrEnum):
    TEXT = "text"
    NUMBER = "number"
    DATE = "date"
    CHOICE = "choice"


class Entity(StrEnum):
    PERSON = "person"
    COMPANY = "company"
    DEAL = "deal"
    ACTIVITY = "activity"
    NOTE = "note"
    PHONE = "phone"
    EMAIL = "email"
    USER = "user"
    STAGE = "stage"
    PIPELINE = "pipeline"


class ImportStatus(StrEnum):
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    UNDONE = "undone"
