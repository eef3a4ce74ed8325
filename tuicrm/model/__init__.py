"""The data model: peewee models on one DatabaseProxy, shared by SQLite and PostgreSQL."""

from tuicrm.model.models import *  # noqa: F401,F403
from tuicrm.model.models import ALL_MODELS, database  # noqa: F401
