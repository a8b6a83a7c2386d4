"""The file's SQL is compiled once per shape and reused with each request's values: the reused
statement must be exactly what compiling the querysets with those values gives."""

from __future__ import annotations

import datetime

import pytest

from sharing import selectors
from sharing.models import Purpose
from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("superuser", [False, True])
def test_reused_file_sql_equals_a_fresh_compilation(customs, samr, superuser):
    purpose = Purpose.objects.get(code="enforcement")
    subjects = [f.subject(), f.subject()]
    days = [datetime.date(2026, 3, 1), datetime.date(2031, 12, 31)]
    for subject, agency, day in zip(subjects, (customs, samr), days, strict=True):
        values = {"subject": subject.pk, "agency": agency.pk, "purpose": purpose.pk, "today": day}
        reused = selectors.FILE_SQL(superuser, **values)
        fresh = selectors._file_sql(superuser, **values)
        assert reused == fresh


def test_superuser_shape_is_compiled_apart(customs):
    purpose = Purpose.objects.get(code="enforcement")
    values = {"subject": 1, "agency": customs.pk, "purpose": purpose.pk}
    day = datetime.date(2026, 3, 1)
    agency_sql, _ = selectors.FILE_SQL(False, **values, today=day)
    superuser_sql, _ = selectors.FILE_SQL(True, **values, today=day)
    # A superuser sees every list entry: its entries part has no visibility filter.
    assert agency_sql != superuser_sql


def test_a_value_that_loses_its_place_is_refused():
    def build(_key, *, subject, today):
        # `today` never reaches the SQL: reusing it would silently ignore the caller's day.
        return "SELECT %s", [subject]

    compiled = selectors.CompiledSQL(build, subject=-1, today=datetime.date(1901, 1, 7))
    with pytest.raises(AssertionError):
        compiled(None, subject=5, today=datetime.date(2026, 1, 1))


def test_subject_and_purpose_in_one_query(company, django_assert_num_queries):
    with django_assert_num_queries(1):
        subject, purpose = selectors.subject_and_purpose(
            f" {company.identifier.lower()} ", "enforcement"
        )
    assert subject == company
    assert purpose == Purpose.objects.get(code="enforcement")
    assert purpose.code == "enforcement"


def test_subject_and_purpose_refusals_keep_the_subject(company):
    with pytest.raises(selectors.PurposeError) as refused:
        selectors.subject_and_purpose(company.identifier, "no-such-purpose")
    assert refused.value.subject == company
    assert "enforcement" in {p["code"] for p in refused.value.purposes}
    with pytest.raises(selectors.PurposeError) as unknown:
        selectors.subject_and_purpose("91110000MA00000000", "no-such-purpose")
    assert unknown.value.subject is None
    subject, purpose = selectors.subject_and_purpose("91110000MA00000000", "enforcement")
    assert subject is None and purpose.code == "enforcement"
