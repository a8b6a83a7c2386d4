"""The evidence store (issue 9 §3): outside any public URL under random names, verified whole,
oversized bodies refused unread, served only to the owning agency's staff and the filer as
attachments, every access logged."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from blacklists.models import Objection
from tests.publicity.test_submissions import objection_data, real_image, real_pdf

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _evidence_root(settings, tmp_path):
    settings.EVIDENCE_ROOT = str(tmp_path / "evidence")
    from django.utils.functional import empty

    from blacklists.evidence import evidence_storage

    evidence_storage._wrapped = empty  # the lazy storage picks up the new root
    yield
    evidence_storage._wrapped = empty


def _file(client, scene, name, content):
    return client.post(
        f"/objections/new/?entry={scene['entry'].pk}",
        objection_data(evidence=SimpleUploadedFile(name, content)),
        HTTP_ACCEPT_LANGUAGE="en",
    )


def test_owner_staff_and_filer_get_it_as_an_attachment_others_get_404(
    client, scene, alice, carol, caplog
):
    filer = client
    response = _file(filer, scene, "凭证.png", real_image("PNG"))
    assert response.status_code == 302
    objection = Objection.objects.get()
    stored = Path(settings.EVIDENCE_ROOT) / objection.evidence.name
    assert stored.is_file()
    assert not str(stored).startswith(str(settings.MEDIA_ROOT))
    assert objection.tracking_number not in objection.evidence.name
    url = f"/evidence/{objection.tracking_number}/"
    # Nothing under /media/ serves it, by tracking number or by stored name.
    assert (
        Client().get(f"/media/evidence/{objection.tracking_number}/evidence.png").status_code == 404
    )
    assert Client().get(f"/media/{objection.evidence.name}").status_code == 404

    caplog.set_level(logging.INFO, logger="scs.access")
    assert Client().get(url).status_code == 404  # anonymous
    other = Client()
    other.force_login(carol)  # another agency's clerk
    assert other.get(url).status_code == 404
    own = filer.get(url)  # the filer, in the session that filed it
    assert own.status_code == 200
    assert own["Content-Disposition"].startswith("attachment")
    owner = Client()
    owner.force_login(alice)  # the court owns the list
    got = owner.get(url)
    assert got.status_code == 200
    assert got["Content-Disposition"].startswith("attachment")
    assert got["Content-Type"] == "image/png"
    assert b"".join(got.streaming_content).startswith(b"\x89PNG")
    logged = [r.getMessage() for r in caplog.records if r.name == "scs.access"]
    assert sum("refused" in m for m in logged) == 2
    assert any("served to staff alice" in m for m in logged)
    assert any("served to filer" in m for m in logged)


def test_admin_links_to_the_checked_view(client, scene, alice):
    assert _file(client, scene, "a.pdf", real_pdf()).status_code == 302
    objection = Objection.objects.get()
    admin = Client()
    admin.force_login(alice)
    page = admin.get(f"/admin/blacklists/objection/{objection.pk}/change/").content.decode()
    assert f"/evidence/{objection.tracking_number}/" in page
    assert "/media/" not in page


HTML = b"<html><body><script>alert(document.cookie)</script></body></html>"
JS_ACTION = b"/OpenAction << /S /JavaScript /JS (app.alert(1)) >>"


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("poly.png", real_image("PNG") + HTML),  # PNG/HTML polyglot
        ("poly.jpg", real_image("JPEG") + HTML),
        ("poly.pdf", real_pdf() + HTML),  # PDF/HTML polyglot after %%EOF
        ("poly.pdf", b"%PDF-1.4\n" + HTML + b"\n%%EOF\n"),  # HTML posing as a PDF
        ("fake.pdf", b"%PDF-1.4\n%garbage that is no PDF\n%%EOF\n"),
        ("script.pdf", real_pdf().replace(b"/Type /Catalog", b"/Type /Catalog " + JS_ACTION)),
        ("anim.gif", b"GIF89a" + real_image("GIF")[6:]),
        ("a.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 200),  # the right first bytes only
    ],
)  # fmt: skip
def test_polyglots_and_unverifiable_files_are_refused(client, scene, name, content):
    response = _file(client, scene, name, content)
    assert response.status_code == 200
    assert response.context["form"].errors["evidence"]
    assert not Objection.objects.exists()


def test_oversized_body_refused_before_reading(client, scene, settings):
    settings.EVIDENCE_MAX_BYTES = 1024
    big = real_pdf() + b"%" + b"x" * (400 * 1024) + b"\n%%EOF\n"
    response = _file(client, scene, "big.pdf", big)
    assert response.status_code == 413
    assert not Objection.objects.exists()


def test_limited_upload_handler_stops_a_body_that_lies_about_its_length(rf, settings):
    from django.core.files.uploadhandler import StopUpload

    from blacklists.evidence import LimitedUploadHandler

    settings.EVIDENCE_MAX_BYTES = 1024
    handler = LimitedUploadHandler(rf.post("/"))
    handler.receive_data_chunk(b"x" * 1024, 0)
    with pytest.raises(StopUpload):
        for _ in range(400):
            handler.receive_data_chunk(b"x" * 1024, 0)
