"""Bulk imports as background jobs (issue 10): counted and capped while uploaded, run by the
worker's task (called here directly, as the worker would), all rows or none, progress and
outcome readable through the API and the admin, and nothing lost if a worker dies."""

from __future__ import annotations

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from blacklists import import_jobs
from blacklists.importing import MAX_ROWS
from blacklists.models import ImportJob, ListEntry
from tests import factories as f
from tests.blacklists.test_import import as_csv, as_xlsx, row
from tests.conftest import api_client_for

pytestmark = pytest.mark.django_db

JOBS = "/api/v1/import-jobs/"


def upload(client, content: bytes, name: str = "名单.csv", dry_run: bool = False):
    return client.post(
        JOBS,
        {"file": SimpleUploadedFile(name, content), "dry_run": "true" if dry_run else "false"},
        format="multipart",
    )


def test_an_import_is_queued_run_by_the_worker_and_reported(court, court_list):
    clerk_api = api_client_for(court, "clerk", "court-api-clerk")
    subjects = [f.subject("enterprise") for _ in range(3)]
    queued = upload(clerk_api, as_csv([row(court_list, s) for s in subjects]))
    assert queued.status_code == 202, queued.content
    job = queued.json()
    assert (job["status"], job["rows"], job["processed"]) == ("queued", 3, 0)
    assert not ListEntry.objects.exists()  # nothing happens in the request

    assert import_jobs.import_job_run(job_id=job["id"]) == "done"
    assert import_jobs.import_job_run(job_id=job["id"]) == "not queued"  # idempotent
    done = clerk_api.get(f"{JOBS}{job['id']}/").json()
    assert (done["status"], done["processed"], done["created_count"]) == ("done", 3, 3)
    assert done["errors"] == []
    assert ListEntry.objects.filter(list=court_list).count() == 3


def test_bad_rows_are_all_reported_and_nothing_is_created(court, court_list):
    clerk_api = api_client_for(court, "clerk", "court-api-clerk")
    good, old, odd = (f.subject("enterprise") for _ in range(3))
    rows = [
        row(court_list, good),
        row(court_list, old, decision_date="1900-01-01"),
        row(court_list, odd, tier="x"),
    ]
    job = upload(clerk_api, as_xlsx(rows), name="名单.xlsx").json()
    import_jobs.import_job_run(job_id=job["id"])
    done = clerk_api.get(f"{JOBS}{job['id']}/").json()
    assert done["status"] == "done" and done["created_count"] == 0
    assert {(e["row"], e["field"]) for e in done["errors"]} == {
        (3, "decision_date"),
        (4, "tier"),
    }
    assert not ListEntry.objects.exists()


def test_size_and_row_caps_refuse_while_streaming(court, court_list, settings):
    clerk_api = api_client_for(court, "clerk", "court-api-clerk")
    settings.IMPORT_MAX_BYTES = 1024
    too_big = upload(clerk_api, b"list,subject_identifier\n" + b"x" * 2048)
    assert too_big.status_code == 400 and set(too_big.json()["errors"]) == {"file"}
    settings.IMPORT_MAX_BYTES = 20 * 1024 * 1024
    many = b"list\n" + b"a\n" * (MAX_ROWS + 1)
    too_many = upload(clerk_api, many)
    assert too_many.status_code == 400
    assert str(MAX_ROWS) in too_many.json()["errors"]["file"][0]
    wrong_type = upload(clerk_api, b"x", name="名单.exe")
    assert wrong_type.status_code == 400
    assert not ImportJob.objects.exists()


def test_jobs_of_another_agency_are_not_found(court, customs, court_list):
    clerk_api = api_client_for(court, "clerk", "court-api-clerk")
    job = upload(clerk_api, as_csv([row(court_list, f.subject("enterprise"))])).json()
    other = api_client_for(customs, "clerk", "customs-api-clerk")
    assert other.get(f"{JOBS}{job['id']}/").status_code == 404
    assert clerk_api.get(f"{JOBS}{job['id']}/").status_code == 200


def test_a_job_whose_worker_died_runs_again(court, court_list, alice):
    content = as_csv([row(court_list, f.subject("enterprise"))])
    job = import_jobs.import_job_create(
        actor=alice, upload=SimpleUploadedFile("a.csv", content), dry_run=False
    )
    # The worker claimed it and was killed: its transaction rolled back, the row says running.
    long_ago = timezone.now() - datetime.timedelta(hours=1)
    ImportJob.objects.filter(pk=job.pk).update(status="running", started_at=long_ago)
    ImportJob.objects.filter(pk=job.pk).update(created_at=long_ago)
    import_jobs.sweep_import_jobs()
    job.refresh_from_db()
    assert job.status == "queued"
    assert import_jobs.import_job_run(job_id=job.pk) == "done"
    assert ListEntry.objects.filter(list=court_list).count() == 1


def test_admin_queues_a_job_and_lists_its_progress(client, alice, court_list):
    client.force_login(alice)
    content = as_csv([row(court_list, f.subject("enterprise")) for _ in range(2)])
    response = client.post(
        "/admin/blacklists/importjob/add/",
        {"file": SimpleUploadedFile("名单.csv", content), "dry_run": "on"},
    )
    assert response.status_code == 302
    job = ImportJob.objects.get()
    assert (job.created_by, job.dry_run, job.rows) == (alice, True, 2)
    import_jobs.import_job_run(job_id=job.pk)
    page = client.get("/admin/blacklists/importjob/").content.decode()
    assert "名单.csv" in page and "2 / 2" in page
    assert not ListEntry.objects.exists()  # a dry run
