"""Bulk imports as background jobs (issue 10), wrapped around `importing.import_entries`
(whose parsing and per-row rules stay in importing.py).

1. `import_job_create` streams the upload chunk by chunk, counting bytes and rows (CSV: line
   ends outside nothing clever, an upper bound) and refusing past IMPORT_MAX_BYTES or
   importing.MAX_ROWS before anything is parsed; the file is kept in the job row, so a worker
   on any host can read it and nothing is lost if a worker dies.
2. After commit, `run_import_job` (Celery) claims the job with a conditional UPDATE
   (queued -> running), runs the import (all rows or none), and records the outcome.
   Progress goes to the cache while running (rows done), the row when finished.
3. `sweep_import_jobs` (beat) re-sends jobs left queued by a lost message and re-queues
   jobs whose worker died while running (older than the task time limit).
"""

from __future__ import annotations

import datetime
import logging

from celery import shared_task
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from blacklists import importing
from blacklists.models import ImportJob
from registry.models import User
from scs.audit import audited
from scs.cache import cache_get, cache_set
from scs.messaging import enqueue_after_commit, send_now

log = logging.getLogger(__name__)

TASK = "blacklists.import_jobs.run_import_job"
MAX_BYTES = getattr(settings, "IMPORT_MAX_BYTES", 20 * 1024 * 1024)


def _progress_key(job_id: int) -> str:
    return f"importjob:{job_id}:processed"


def import_job_create(*, actor: User, upload, dry_run: bool) -> ImportJob:
    """Stream `upload` (a Django UploadedFile) into a queued job. ValidationError on `file`:
    wrong type, too large, too many rows, empty. PermissionDenied: not agency staff."""
    if actor.agency_id is None:
        raise PermissionDenied(gettext("Imports are made by an agency's staff."))
    name = (upload.name or "").lower()
    if not name.endswith((".csv", ".xlsx")):
        raise ValidationError({"file": gettext("Upload a .csv or .xlsx file.")})
    limit = getattr(settings, "IMPORT_MAX_BYTES", MAX_BYTES)
    chunks: list[bytes] = []
    size = 0
    lines = 0
    for chunk in upload.chunks():
        size += len(chunk)
        if size > limit:
            raise ValidationError(
                {
                    "file": gettext("The file is larger than %(mb)d MB.")
                    % {"mb": limit // 1024 // 1024}
                }
            )
        lines += chunk.count(b"\n")
        if name.endswith(".csv") and lines > importing.MAX_ROWS + 1:
            raise ValidationError(
                {"file": gettext("At most %(n)d rows per file.") % {"n": importing.MAX_ROWS}}
            )
        chunks.append(chunk)
    content = b"".join(chunks)
    if not content.strip():
        raise ValidationError({"file": gettext("The file is empty.")})
    rows = max(0, lines - 1 + (0 if content.endswith(b"\n") else 1)) if name.endswith(".csv") else 0
    with transaction.atomic(), audited(actor, f"import queued: {upload.name}"):
        job = ImportJob.objects.create(
            agency_id=actor.agency_id,
            created_by=actor,
            filename=upload.name[:200],
            content=content,
            size=size,
            rows=rows,
            dry_run=dry_run,
        )
        enqueue_after_commit(TASK, job.pk)
    return job


def import_job_progress(job: ImportJob) -> int:
    """Rows processed so far: live from the cache while running, else from the row."""
    if job.status == ImportJob.Status.RUNNING:
        live = cache_get(_progress_key(job.pk))
        if live is not None:
            return int(live)
    return job.processed


def import_job_run(*, job_id: int) -> str:
    """Claim and run one job; idempotent (a finished or claimed job is left alone)."""
    claimed = ImportJob.objects.filter(pk=job_id, status=ImportJob.Status.QUEUED).update(
        status=ImportJob.Status.RUNNING, started_at=timezone.now()
    )
    if not claimed:
        return "not queued"
    job = ImportJob.objects.select_related("created_by").get(pk=job_id)
    try:
        result = importing.import_entries(
            actor=job.created_by,
            content=bytes(job.content),
            filename=job.filename,
            dry_run=job.dry_run,
            progress=lambda n: cache_set(_progress_key(job_id), n, 3600),
        )
    except (ValidationError, PermissionDenied) as exc:
        messages = exc.messages if isinstance(exc, ValidationError) else [str(exc)]
        ImportJob.objects.filter(pk=job_id).update(
            status=ImportJob.Status.FAILED,
            errors=[{"row": None, "field": "file", "message": m} for m in messages],
            finished_at=timezone.now(),
        )
        return "failed"
    ImportJob.objects.filter(pk=job_id).update(
        status=ImportJob.Status.DONE,
        processed=result.rows,
        rows=result.rows,
        created_count=len(result.created_ids) if result.committed else 0,
        errors=[{"row": e.row, "field": e.field, "message": e.message} for e in result.errors],
        finished_at=timezone.now(),
    )
    return "done"


@shared_task(name=TASK, acks_late=True)
def run_import_job(job_id: int) -> str:
    return import_job_run(job_id=job_id)


@shared_task(name="blacklists.import_jobs.sweep_import_jobs", acks_late=True)
def sweep_import_jobs() -> int:
    now = timezone.now()
    stale_running = now - datetime.timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT + 60)
    # A worker killed mid-import rolled its transaction back: the job can simply run again.
    ImportJob.objects.filter(status=ImportJob.Status.RUNNING, started_at__lt=stale_running).update(
        status=ImportJob.Status.QUEUED, started_at=None
    )
    waiting = list(
        ImportJob.objects.filter(
            status=ImportJob.Status.QUEUED, created_at__lt=now - datetime.timedelta(seconds=30)
        ).values_list("pk", flat=True)[:100]
    )
    for job_id in waiting:
        send_now(TASK, job_id)
    return len(waiting)
