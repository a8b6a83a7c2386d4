"""docs/AGENCY_API.md is executable: every curl example runs against a live server, in order,
and answers the status written above it."""

from __future__ import annotations

import datetime
import os
import re
import subprocess
from pathlib import Path

import pytest
from django.conf import settings

from registry.models import CreditRecord
from sharing.models import Consent, Consultation
from tests import factories as f
from tests.conftest import api_client_for
from tests.sharing.conftest import make_item, png_bytes

DOC = Path(settings.BASE_DIR) / "docs" / "AGENCY_API.md"
EXAMPLE = re.compile(r"<!-- expect: (\d{3}) -->\n```sh\n(.*?)```", re.S)

# Flushes the tables afterwards (its post_migrate re-creates content types under new ids; the
# browser tests' snapshot reload copes: tests/conftest.py); later tests reload what they need.
pytestmark = pytest.mark.django_db(transaction=True)


def examples() -> list[tuple[int, str]]:
    return [(int(code), body.strip()) for code, body in EXAMPLE.findall(DOC.read_text())]


def test_every_example_is_found():
    found = examples()
    assert len(found) >= 15
    assert all("curl" in body for _code, body in found)


def token(client) -> str:
    return client._credentials["HTTP_AUTHORIZATION"].split()[1]


def test_examples_run_against_a_live_server(live_server, tmp_path):
    samr = f.agency("市场监管总局", registrar=True)
    customs = f.agency("海关")
    make_item(samr, "N-001", "public", requires_review=True)
    make_item(samr, "R-201", "restricted", "tax")
    company = f.subject("enterprise", name="杭州恒信电子科技有限公司")
    (tmp_path / "consent.png").write_bytes(png_bytes())
    env = {
        **os.environ,
        "BASE": live_server.url,
        "SAMR_TOKEN": token(api_client_for(samr, "clerk", "samr-doc")),
        "SAMR_REVIEWER_TOKEN": token(api_client_for(samr, "reviewer", "samr-doc-reviewer")),
        "CUSTOMS_TOKEN": token(api_client_for(customs, "clerk", "customs-doc")),
        "CUSTOMS_ADMIN_TOKEN": token(api_client_for(customs, "admin", "customs-doc-admin")),
        "COMPANY": company.identifier,
        "DECIDED": (datetime.date.today() - datetime.timedelta(days=2)).isoformat(),
        "NEXT_YEAR": (datetime.date.today() + datetime.timedelta(days=365)).isoformat(),
    }
    for expected, command in examples():
        first = CreditRecord.objects.order_by("id").first()
        consent = Consent.objects.order_by("-id").first()
        env["RECORD"] = str(first.pk) if first else "0"
        env["CONSENT"] = str(consent.pk) if consent else "0"
        result = subprocess.run(  # noqa: S603 - our own documentation, run in a temp dir
            ["/bin/bash", "-c", command + " -s -o response.json -w '%{http_code}'"],
            env=env,
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=30,
        )
        body = (tmp_path / "response.json").read_text()[:500]
        assert result.stdout == str(expected), f"{command}\n→ {result.stdout} {body}"
    record = CreditRecord.objects.get(decision_number="杭市监罚〔2026〕101号")
    assert record.status == "withdrawn" and record.version == 2
    assert Consultation.objects.filter(channel="file").count() == 2
    assert Consultation.objects.filter(channel="credit_check").count() == 2
