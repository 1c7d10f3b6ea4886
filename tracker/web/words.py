"""History, diffs and conflicts in words: what a stored value means to the person reading it.

Change records and conflict panels hold stored values: codes (``public_consultation``), ids
(``provision_id: 13``), JSON structures (a judgement's links). People read labels, names and lines:
"Public consultation", "EPR-01 Extended producer responsibility", "Environmental Management Act,
2011: partly (s. 58)". One place turns the first into the second:

- a field's label is the label of the form field that edits it (so a field added to a form is named
  in history at once), else one of ``LABELS`` below, else the field name made readable;
- a coded value is its translated label, found from the model column's code type;
- an id is the record's name (``tracker.read.history.Names``), or "deleted record" when it is gone;
- links, translated titles and texts are one readable line each.
"""

import functools
from datetime import date

from sqlmodel import SQLModel

from tracker import dates
from tracker.codes import Extent, RelationKind
from tracker.i18n import _, _l, country_name, current_lang, language_name
from tracker.models import CodeType
from tracker.read.history import Names
from tracker.web import forms

EMPTY = "—"

# Fields no form edits, or edits under another name.
LABELS = {
    "country_id": _l("Country"),
    "provision_id": _l("Provision"),
    "instrument_id": _l("Instrument"),
    "target_id": _l("Related instrument"),
    "category_id": _l("Category"),
    "checklist_id": _l("Checklist version"),
    "links": _l("Covering instruments"),
    "titles": _l("Translated titles"),
    "relations": _l("Relations with other instruments"),
    "texts": _l("Titles and guidance"),
    "names": _l("Names"),
    "is_example": _l("Example data"),
    "position": _l("Position"),
    "retired": _l("Retired"),
    "is_current": _l("Current version"),
    "password_hash": _l("Password"),
    "last_login_at": _l("Last sign-in"),
    "title": _l("Title"),
    "code": _l("Code"),
    "kind": _l("Kind"),
    "locale": _l("Language"),
    "email": _l("Email address"),
    "iso2": _l("ISO 3166 alpha-2 code"),  # derived from the alpha-3 code, on no form
}
# Record fields that say nothing to a reader: the id is in the heading, the version is bookkeeping.
HIDDEN = frozenset({"id", "version"})

# The form that edits each kind of record: its field labels name the record's fields.
ENTITY_FORMS = {
    "instrument": (forms.InstrumentForm,),
    "milestone": (forms.MilestoneForm,),
    "country": (forms.CountryForm,),
    "provision": (forms.ProvisionForm, forms.ProvisionEditForm),
    "coverage": (forms.CoverageRowForm,),
    "coverage_link": (forms.CoverageLinkForm, forms.NewLinkForm),
    "user_account": (forms.UserCreateForm, forms.UserEditForm),
}


@functools.cache
def _models() -> dict[str, type[SQLModel]]:
    return {
        mapper.class_.__tablename__: mapper.class_
        for mapper in SQLModel._sa_registry.mappers
        if hasattr(mapper.class_, "__tablename__")
    }


def _form_label(entity: str, name: str):
    for form in ENTITY_FORMS.get(entity, ()):
        unbound = getattr(form, name, None)
        if unbound is None or not hasattr(unbound, "field_class"):
            continue
        label = unbound.kwargs.get("label") or (unbound.args[0] if unbound.args else None)
        if label:
            return label
    return None


def field_label(entity: str, name: str) -> str:
    """The label a person knows the field ``name`` of an ``entity`` record by."""
    label = _form_label(entity, name) or LABELS.get(name)
    if label:
        return str(label)
    return name.replace("_", " ").capitalize()


def _code_enum(entity: str, name: str):
    model = _models().get(entity)
    if model is None or name not in model.__table__.c:
        return None
    column_type = model.__table__.c[name].type
    return column_type.enum if isinstance(column_type, CodeType) else None


def _code_label(enum, value) -> str:
    try:
        return str(enum(value).label)
    except (ValueError, KeyError):
        return str(value)


def _date(value) -> str | None:
    if not isinstance(value, str):
        return None
    try:
        partial = dates.as_partial(value)
    except ValueError:
        return None
    if partial is None:
        return None
    from tracker.i18n import format_date_at

    return format_date_at(partial.start, partial.precision.value)


def _link_line(link: dict, names: Names) -> str:
    iid = link.get("instrument_id")
    title = names.instrument(iid) or _("deleted instrument")
    parts = [title]
    extent = link.get("extent")
    if extent:
        parts.append(_code_label(Extent, extent))
    extra = [
        f"{field_label('coverage_link', key)}: {value}"
        for key, value in link.items()
        if key not in ("instrument_id", "extent") and value not in (None, "")
    ]
    return " · ".join(parts + extra)


def _relation_line(relation: dict, names: Names) -> str:
    """"Made under: Environmental Management Act" (an instrument's own relation)."""
    kind = _code_label(RelationKind, relation.get("kind"))
    other = names.instrument(relation.get("target_id")) or _("deleted instrument")
    return f"{kind}: {other}"


def _locale_lines(mapping: dict) -> list[str]:
    lines = []
    reader = current_lang()
    for locale, text in mapping.items():
        if isinstance(text, dict):
            text = text.get("title") or text.get("name") or ""
        lines.append(f"{language_name(locale, reader)}: {text}")
    return lines


def value_words(entity: str, name: str, value, names: Names) -> str:
    """A stored value as a reader says it (several lines joined by newlines)."""
    if value is None or value == "" or value == {} or value == []:
        return EMPTY
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if name == "country_id" and isinstance(value, int):
        country = names.countries.get(value)
        return country_name(country.iso2) if country else _("deleted record")
    if name == "provision_id":
        return names.provision(value) or _("deleted record")
    if name in ("instrument_id", "target_id"):
        return names.instrument(value) or _("deleted instrument")
    enum = _code_enum(entity, name)
    if enum is not None:
        return _code_label(enum, value)
    if name == "relations" and isinstance(value, list):
        return "\n".join(_relation_line(rel, names) for rel in value if isinstance(rel, dict))
    if name == "links" and isinstance(value, list):
        return "\n".join(_link_line(link, names) for link in value if isinstance(link, dict))
    if isinstance(value, dict):
        return "\n".join(_locale_lines(value))
    if isinstance(value, list):
        return "\n".join(str(item) for item in value)
    if name.endswith("_on") and (words := _date(value)):
        return words
    if isinstance(value, date):
        return str(value)
    return str(value)


def diff_rows(entity: str, changed, names: Names) -> list[tuple[str, str, str, str]]:
    """(label, before, after, field) for each changed field a reader cares about."""
    rows = []
    for name, old, new in changed:
        if name in HIDDEN:
            continue
        before, after = value_words(entity, name, old, names), value_words(entity, name, new, names)
        if before == after:
            continue  # e.g. an empty {} becoming an empty []: nothing a reader would see
        rows.append((field_label(entity, name), before, after, name))
    return rows


def record_name(entity: str, state: dict | None, names: Names, fallback: str) -> str:
    """What a record is called: a judgement by its provision, an instrument by its title..."""
    state = state or {}
    if entity == "coverage" and (found := names.provision(state.get("provision_id"))):
        return found
    if entity == "country" and state.get("iso2"):
        return country_name(state["iso2"])
    if entity == "provision" and state.get("code"):
        texts = state.get("texts") or {}
        text = texts.get(current_lang()) or texts.get("en") or {}
        return f"{state['code']} {text.get('title', '')}".strip()
    if entity == "instrument_relation":
        left = names.instrument(state.get("instrument_id"))
        right = names.instrument(state.get("target_id"))
        if left and right:
            return f"{left} → {right}"
    for key in ("title", "email", "code", "name"):
        if state.get(key):
            return str(state[key])
    return fallback
