"""One set of field rules: the forms, the CSV import and the database columns agree on each field."""

import pytest
import sqlalchemy as sa
from wtforms.validators import Length, NumberRange

from tracker import fields
from tracker.formats.tables import COVERAGE, INSTRUMENTS, MILESTONES
from tracker.models import (
    Country,
    Coverage,
    CoverageLink,
    Instrument,
    InstrumentTitle,
    Milestone,
    Provision,
    ProvisionText,
    User,
)
from tracker.web import forms

RULES_OF_TABLES = [
    (Instrument, fields.INSTRUMENT),
    (InstrumentTitle, fields.INSTRUMENT_TITLE),
    (Milestone, fields.MILESTONE),
    (Coverage, fields.COVERAGE),
    (CoverageLink, fields.COVERAGE_LINK),
    (Provision, fields.PROVISION),
    (ProvisionText, fields.PROVISION_TEXT),
    (Country, fields.COUNTRY),
    (User, fields.USER),
]


@pytest.mark.parametrize(("model", "rules"), RULES_OF_TABLES, ids=lambda v: getattr(v, "__name__", ""))
def test_every_text_the_rules_accept_fits_its_column(model, rules):
    columns = {c.key: c for c in sa.inspect(model).columns}
    for name, rule in rules.items():
        column = columns[name]
        if rule.kind in ("text", "url", "language"):
            assert rule.max_length is not None, f"{model.__name__}.{name} has no length rule"
            length = getattr(column.type, "length", None)
            # A VARCHAR as long as the rule; a TEXT column holds anything the rule allows.
            assert length in (rule.max_length, None), (model.__name__, name, length)
            if length is None:
                assert isinstance(column.type, sa.Text), (model.__name__, name)
        assert column.nullable is not rule.required or name in ("applicable",), (
            model.__name__,
            name,
        )


@pytest.mark.parametrize("table", [INSTRUMENTS, MILESTONES, COVERAGE], ids=lambda t: t.name)
def test_the_import_checks_each_field_with_its_rule(table):
    rules = {"instruments": fields.INSTRUMENT, "milestones": fields.MILESTONE}.get(
        table.name, fields.COVERAGE
    )
    for name, rule in rules.items():
        column = next((c for c in table.columns if c.name == name), None)
        if column is None or rule.kind == "boolean":
            continue
        assert column.rule is not None and column.rule.max_length == rule.max_length, name
        assert column.max_length == rule.max_length
        if rule.codes is not None:
            assert set(column.enum) == set(rule.codes.codes())


def _limits(field) -> tuple:
    lengths = [v.max for v in field.validators if isinstance(v, Length)]
    ranges = [(v.min, v.max) for v in field.validators if isinstance(v, NumberRange)]
    return (lengths[0] if lengths else None, ranges[0] if ranges else None)


@pytest.mark.parametrize(
    ("form_class", "rules"),
    [
        (forms.InstrumentForm, fields.INSTRUMENT),
        (forms.MilestoneForm, fields.MILESTONE),
        (forms.CoverageRowForm, fields.COVERAGE),
        (forms.CoverageLinkForm, fields.COVERAGE_LINK),
        (forms.ProvisionTextForm, fields.PROVISION_TEXT),
        (forms.CountryForm, fields.COUNTRY),
    ],
    ids=lambda v: getattr(v, "__name__", ""),
)
def test_the_forms_check_each_field_with_its_rule(app, form_class, rules):
    with app.test_request_context("/en/"):
        form = form_class(meta={"csrf": False})
        for name, rule in rules.items():
            if name not in form or rule.kind in ("code", "boolean", "date"):
                continue
            if form[name].type == "FieldList":  # a list of pickers: the form checks the total
                continue
            expected_range = (rule.minimum, rule.maximum) if rule.kind == "year" else None
            assert _limits(form[name]) == (rule.max_length, expected_range), name


def test_the_form_and_the_import_list_the_same_instrument_fields():
    assert set(forms.InstrumentForm.MODEL_FIELDS) == set(fields.INSTRUMENT)
    importable = {c.name for c in INSTRUMENTS.columns if c.importable}
    assert set(fields.INSTRUMENT) <= importable


@pytest.mark.parametrize(
    ("value", "accepted"),
    [
        ("https://example.org/a", True),
        ("HTTP://EXAMPLE.ORG", True),
        ("https:///no-host", False),
        ("javascript:alert(1)", False),
        ("ftp://example.org", False),
        ("https://exa mple.org", False),
        ("http://[::1", False),
    ],
)
def test_one_rule_for_links(value, accepted):
    assert fields.is_http_url(value) is accepted


@pytest.mark.parametrize(
    ("tag", "accepted"),
    [("en", True), ("zh-Hans", True), ("gn", True), ("EN", False), ("xx", False),
     ("en-abcdefgh-abcdefg", False), ("en-GB-oxendict", False)],
)
def test_one_rule_for_language_tags(tag, accepted):
    assert fields.is_language_tag(tag) is accepted


def test_the_order_of_an_instrument_s_dates():
    from datetime import date

    assert fields.instrument_date_problems({"adopted_on": date(2024, 1, 2)}) == []
    problems = fields.instrument_date_problems(
        {
            "adopted_on": date(2024, 6, 1),
            "in_force_on": date(2024, 5, 1),
            "repealed_on": date(2024, 4, 1),
        }
    )
    assert [name for name, _message in problems] == ["in_force_on", "repealed_on"]


def test_a_value_the_database_refuses_is_a_clear_422_not_a_500(app, client):
    """The safety net behind the rules: PostgreSQL's "value too long" is not a server error."""

    def save():
        raise sa.exc.DataError(
            "INSERT INTO provision_text ...", {}, Exception("value too long for varchar(12)")
        )

    app.add_url_rule("/<lang>/test-refused-value", "refused_value", save, methods=["POST"])
    response = client.post("/en/test-refused-value")
    assert response.status_code == 422
    assert "A value is too long or out of range to be stored, so nothing was saved." in (
        response.text
    )
