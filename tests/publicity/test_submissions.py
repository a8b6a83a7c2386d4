"""Objections and repair applications filed online, and tracking them."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from blacklists import services as list_services
from blacklists.models import Objection, RepairApplication

pytestmark = pytest.mark.django_db


def real_pdf() -> bytes:
    """A real one-page PDF (the evidence store parses every file whole)."""
    import io

    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=200, height=200)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def real_image(fmt: str = "JPEG") -> bytes:
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 30, 30)).save(out, format=fmt)
    return out.getvalue()


PDF = real_pdf()


def objection_data(**extra):
    return {
        "filed_by_name": "杭州恒信电子科技有限公司",
        "on_behalf": "",
        "contact": "0571-12345678",
        "disputed_facts": "该款项已于2026年2月1日全部履行完毕。",
        **extra,
    }


def test_objection_lands_in_the_agency_queue_and_is_tracked(client, scene, bob):
    entry = scene["entry"]
    form = client.get("/objections/new/", {"entry": entry.pk})
    assert form.status_code == 200
    assert "(2026)浙01执123号" in form.content.decode()
    evidence = SimpleUploadedFile("付款凭证.pdf", PDF, content_type="application/pdf")
    response = client.post(f"/objections/new/?entry={entry.pk}", objection_data(evidence=evidence))
    assert response.status_code == 302
    objection = Objection.objects.get(entry=entry)
    assert objection.evidence.name.endswith(".pdf")
    assert objection.tracking_number not in objection.evidence.name  # a random name
    assert response["Location"] == f"/track/{objection.tracking_number}/?new=1"
    tracked = client.get(response["Location"]).content.decode()
    assert objection.tracking_number in tracked
    assert "0571-12345678" not in tracked  # contact details are never shown
    # Another objection while this one is pending: refused with the reason, nothing filed.
    again = client.post(f"/objections/new/?entry={entry.pk}", objection_data())
    assert again.status_code == 200
    assert objection.tracking_number in again.content.decode()
    assert Objection.objects.filter(entry=entry).count() == 1
    # An anonymous online objection hides nothing by itself ...
    assert client.get("/search/", {"q": "恒信电子"}).context["result"].rows[0].badges == [
        "blacklist"
    ]
    # ... until a reviewer admits it: then held out of publicity while pending.
    list_services.objection_admit(actor=bob, objection=objection)
    assert client.get("/search/", {"q": "恒信电子"}).context["result"].rows[0].badges == []

    # The agency decides; the tracking page shows the decision and its reasons.
    list_services.objection_decide(
        actor=bob, objection=objection, upheld=False, reasons="经核查，款项未履行。"
    )
    decided = client.get(f"/track/{objection.tracking_number.lower()}/")
    assert decided.status_code == 200
    assert "经核查，款项未履行。" in decided.content.decode()
    lookup = client.get("/track/", {"number": objection.tracking_number})
    assert lookup.status_code == 302


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("evidence.exe", b"MZ\x90\x00", "PDF, JPEG"),
        ("evidence.pdf", b"MZ\x90\x00", "PDF, JPEG"),  # a renamed executable
        ("evidence.png", b"\x89PNG\r\n\x1a\n" + b"0" * 2048, "too large"),
    ],
)
def test_evidence_type_and_size_limited(client, scene, settings, name, content, message):
    settings.EVIDENCE_MAX_BYTES = 1024
    settings.LANGUAGE_CODE = "en"
    upload = SimpleUploadedFile(name, content)
    response = client.post(
        f"/objections/new/?entry={scene['entry'].pk}",
        objection_data(evidence=upload),
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 200
    assert message in str(response.context["form"].errors["evidence"])
    assert not Objection.objects.exists()


def test_required_fields(client, scene):
    response = client.post(f"/objections/new/?entry={scene['entry'].pk}", {})
    assert set(response.context["form"].errors) == {"filed_by_name", "contact", "disputed_facts"}


def test_only_entries_in_publicity(client, scene, alice, defaulters, hidden_person):
    from tests.publicity.conftest import make_entry

    draft = make_entry(defaulters, hidden_person, alice, number="(2026)草稿1号")
    assert client.get("/objections/new/", {"entry": draft.pk}).status_code == 404
    assert client.get("/repairs/new/", {"entry": "x"}).status_code == 404


def test_repair_application(client, scene):
    entry = scene["entry"]
    form = client.get("/repairs/new/", {"entry": entry.pk}).content.decode()
    assert "proof_of_correction" in form and "credit_commitment" in form
    assert "training_certificate" not in form  # not a condition of this list
    response = client.post(
        f"/repairs/new/?entry={entry.pk}",
        {
            "applicant_name": "杭州恒信电子科技有限公司",
            "contact": "repair@example.cn",
            "conditions_met": ["proof_of_correction", "credit_commitment"],
            "statement": "已全部履行判决确定的义务，并作出信用承诺。",
            "evidence": SimpleUploadedFile("a.jpg", real_image()),
        },
    )
    assert response.status_code == 302
    application = RepairApplication.objects.get(entry=entry)
    assert application.conditions_met == ["credit_commitment", "proof_of_correction"]
    assert application.tracking_number in response["Location"]


def test_csrf_is_enforced(scene):
    strict = Client(enforce_csrf_checks=True)
    response = strict.post(f"/objections/new/?entry={scene['entry'].pk}", objection_data())
    assert response.status_code == 403
    assert not Objection.objects.exists()


def test_submissions_are_rate_limited(client, scene, settings):
    settings.PORTAL_RATE_LIMITS = {"submit": (2, 3600)}
    url = f"/objections/new/?entry={scene['entry'].pk}"
    assert client.post(url, {}).status_code == 200  # invalid, but counted
    assert client.post(url, {}).status_code == 200
    blocked = client.post(url, objection_data())
    assert blocked.status_code == 429
    assert 0 < int(blocked["Retry-After"]) <= 3600  # the rest of the hour's window
    assert not Objection.objects.exists()
    assert client.get(url).status_code == 200  # reading the form is not limited


def test_unknown_tracking_number(client, db):
    assert client.get("/track/OB20260101DEADBEEF/").status_code == 404
