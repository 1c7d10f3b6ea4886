"""Translations of records' texts (``TextTranslation``): saved and deleted through the write path.

A record's translatable texts are listed in ``tracker.fields.TRANSLATABLE``; each translation is
keyed by record kind (the table name), record id, field and locale. Saving an empty text deletes
the translation; deleting a record deletes its translations with it (each with its change
record), so a later record that reuses the id never inherits them.
"""

from sqlmodel import Session, SQLModel, select

from tracker.fields import TRANSLATABLE
from tracker.models import TextTranslation
from tracker.write import changes


def translations_of(session: Session, entity: str, entity_id: int) -> list[TextTranslation]:
    """Every translation of one record's texts, by field and locale (1 query)."""
    return list(
        session.exec(
            select(TextTranslation)
            .where(TextTranslation.entity == entity, TextTranslation.entity_id == entity_id)
            .order_by(TextTranslation.field, TextTranslation.locale)
        ).all()
    )


def save_translation(
    session: Session,
    found: TextTranslation | None,
    key: tuple[str, int, str, str],
    text: str | None,
    actor: changes.Actor,
    expected_version: int | None,
) -> bool:
    """Create, change or (with an empty ``text``) delete the translation ``key`` = (record kind,
    record id, field, locale); ``found`` is the stored one, if any. False when nothing changed.
    Raises ``changes.StaleVersion`` when ``found`` moved past ``expected_version``."""
    entity, entity_id, field, locale = key
    if field not in TRANSLATABLE.get(entity, ()):
        raise ValueError(f"{entity}.{field} has no translations")
    if found is None:
        if not text:
            return False
        record = TextTranslation(
            entity=entity, entity_id=entity_id, field=field, locale=locale, text=text
        )
        changes.create(session, record, actor)
        return True
    if not text:
        changes.delete(session, found, actor, expected_version=expected_version)
        return True
    return changes.update(session, found, actor, {"text": text}, expected_version=expected_version)


def delete_translations(session: Session, obj: SQLModel, actor: changes.Actor) -> None:
    """Delete the translations of a record that is being deleted (flushed only)."""
    entity = changes.entity_name(obj)
    if entity not in TRANSLATABLE:
        return
    for translation in translations_of(session, entity, obj.id):
        changes.delete(session, translation, actor, expected_version=None)
