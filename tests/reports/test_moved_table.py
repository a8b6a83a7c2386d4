"""IssuedReport moved from `publicity` to `reports` (issue 13, layering) without touching its
table: the two migrations that move it change the migration state only, and a report written
to the table before the move (as the old code wrote it) still verifies at /reports/<number>/."""

from __future__ import annotations

import hashlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.loader import MigrationLoader

from reports.models import IssuedReport

MOVE = [("reports", "0001_initial"), ("publicity", "0003_issued_report_moved")]


def _fields(model_state) -> dict:
    return {name: field.deconstruct()[1:] for name, field in model_state.fields.items()}


def test_the_moved_model_keeps_the_table_its_fields_and_its_index():
    loader = MigrationLoader(None, ignore_no_migrations=True)
    before = loader.project_state(("publicity", "0002_special_report")).models
    after = loader.project_state(MOVE).models
    old, new = before["publicity", "issuedreport"], after["reports", "issuedreport"]
    assert ("publicity", "issuedreport") not in after
    assert new.options["db_table"] == "publicity_issuedreport" == IssuedReport._meta.db_table
    assert _fields(old) == _fields(new)
    assert [i.name for i in old.options["indexes"]] == [i.name for i in new.options["indexes"]]


@pytest.mark.django_db
def test_the_move_runs_no_schema_statement():
    executor = MigrationExecutor(connection)
    plan = [(executor.loader.graph.nodes[key], False) for key in MOVE]
    statements = [s for s in executor.loader.collect_sql(plan) if not s.lstrip().startswith("--")]
    assert statements == []


@pytest.mark.django_db
def test_a_report_issued_before_the_move_still_verifies(client, company):
    content = "专项信用报告 issued before the move".encode()
    with connection.cursor() as cursor:  # the row as publicity.IssuedReport wrote it
        cursor.execute(
            "INSERT INTO publicity_issuedreport (number, subject_id, generated_at, language,"
            " sha256, size, kind, audience, data_version, snapshot)"
            " VALUES (%s, %s, now(), 'zh-hans', %s, %s, 'standard', '', '', '{}')",
            ["CR20260101ABCDEF0123", company.pk, hashlib.sha256(content).hexdigest(), 33],
        )
    assert IssuedReport.objects.get(number="CR20260101ABCDEF0123").subject == company

    page = client.get("/reports/cr20260101abcdef0123/")
    assert page.status_code == 200
    assert "CR20260101ABCDEF0123" in page.content.decode()
    same = client.post(
        "/reports/CR20260101ABCDEF0123/",
        {"pdf": SimpleUploadedFile("copy.pdf", content, "application/pdf")},
    )
    assert same.context["matches"] is True
    other = client.post(
        "/reports/CR20260101ABCDEF0123/",
        {"pdf": SimpleUploadedFile("copy.pdf", content + b" ", "application/pdf")},
    )
    assert other.context["matches"] is False
