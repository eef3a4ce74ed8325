"""Version 1: the whole model of PRODUCT.md (created from the models for a fresh base)."""


def up(migrator, db):  # pragma: no cover - version 1 is never migrated *to*, only created
    from tuicrm.model import ALL_MODELS

    db.create_tables(ALL_MODELS)
