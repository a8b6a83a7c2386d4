"""The portal's "why restricted" chain and the PDF report name the condition that made a
measure apply (issue 9 §1)."""

import shutil

import pytest

from publicity import selectors
from sanctions import services as sanction_services
from sanctions.models import Measure, Sanction
from tests.publicity.test_pages import _pdf_text

pytestmark = pytest.mark.django_db

CLAUSE = "发改财金〔2016〕141号 M01：“失信被执行人为自然人的”"


@pytest.fixture
def conditional(scene):
    Measure.objects.filter(memorandum=scene["memorandum"], code="M01").update(
        applies_to="natural_persons", applies_to_basis=CLAUSE
    )
    sanction_services.memorandum_sync(memorandum_id=scene["memorandum"].pk)
    return scene


def test_condition_lifts_the_company_and_names_itself_on_the_persons_page(client, conditional):
    company, person = conditional["company"], conditional["person"]
    lifted = Sanction.objects.get(measure__code="M01", target=company)
    assert (lifted.status, lifted.lift_reason) == ("lifted", "not_applicable")
    company_page = client.get(f"/subjects/{selectors.subject_ref(company)}/").content.decode()
    assert "限制乘坐民用航空器" not in company_page
    page = client.get(f"/subjects/{selectors.subject_ref(person)}/").content.decode()
    assert "限制乘坐民用航空器" in page
    assert "仅适用于被列入主体为自然人的情形" in page
    assert CLAUSE in page
    english = client.get(
        f"/subjects/{selectors.subject_ref(person)}/", HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()
    assert "only where the listed subject is a natural person" in english


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils not installed")
def test_pdf_names_the_condition(client, conditional, tmp_path):
    person = conditional["person"]
    response = client.get(f"/subjects/{selectors.subject_ref(person)}/report.pdf")
    text = _pdf_text(response.content, tmp_path).replace("\n", "")
    assert "仅适用于被列入主体为自然人的情形" in text
    assert "失信被执行人为自然人的" in text
