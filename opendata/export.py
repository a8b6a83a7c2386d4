"""Building open data versions: files, manifest, delta, index (docs/OPEN_DATA.md).

Layout under `settings.OPEN_DATA_ROOT`:

    index.json                       versions, newest last, and `latest`
    <version>/manifest.json          files with row counts, bytes and SHA-256
    <version>/<dataset>.jsonl        one JSON object per line, ascending id, canonical JSON
    <version>/<dataset>.csv          the same rows as CSV (UTF-8 with BOM, for spreadsheets)
    <version>/delta.jsonl            ADD/MOD/DEL operations against the previous version

Memory stays bounded: rows stream from server-side cursors straight to files, and the delta is
a merge of two id-ordered files (the previous version's and the new one), never a table in
memory. A version is written under a temporary name and renamed into place; `index.json` is
replaced atomically; a second export running at the same time is refused (advisory lock).
"""

from __future__ import annotations

import csv
import datetime
import hashlib
import json
import logging
import os
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from opendata import datasets, reasons

logger = logging.getLogger(__name__)

FORMAT_VERSION = 1
LICENCE = "CC BY 4.0 (https://creativecommons.org/licenses/by/4.0/)"
VERSION_RE = re.compile(r"^[0-9]{8}T[0-9]{6}Z(?:-[0-9]{1,3})?$")
FILE_RE = re.compile(r"^[a-z_]+\.(?:jsonl|csv|json)$")
DEL_BATCH = 1000
_LOCK_KEY = 0x0D47A  # pg advisory lock: one export at a time


class ExportBusy(RuntimeError):
    """Another export holds the lock."""


def root() -> Path:
    return Path(settings.OPEN_DATA_ROOT)


def canonical(record: dict) -> str:
    """The one serialisation of a record, in data files and deltas alike."""
    return json.dumps(record, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def read_index(base: Path | None = None) -> dict:
    path = (base or root()) / "index.json"
    if not path.exists():
        return {"format": FORMAT_VERSION, "latest": None, "versions": []}
    return json.loads(path.read_text(encoding="utf-8"))


def _write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    with open(tmp, "rb") as fh:
        os.fsync(fh.fileno())
    os.replace(tmp, path)


class _HashingWriter:
    """A text file that counts rows and hashes exactly the bytes it writes."""

    def __init__(self, path: Path):
        self.path = path
        self._fh = open(path, "wb")  # noqa: SIM115 - closed in close()
        self._sha = hashlib.sha256()
        self.rows = 0
        self.bytes = 0

    def write(self, text: str) -> None:
        data = text.encode("utf-8")
        self._fh.write(data)
        self._sha.update(data)
        self.bytes += len(data)

    def close(self) -> dict:
        self._fh.close()
        return {
            "name": self.path.name,
            "rows": self.rows,
            "bytes": self.bytes,
            "sha256": self._sha.hexdigest(),
        }


class _CsvSink:
    """csv.writer into a _HashingWriter. Cells a spreadsheet would run as a formula
    (= + - @ at the start, OWASP "CSV injection") get a leading apostrophe; JSONL keeps the
    exact text."""

    def __init__(self, writer: _HashingWriter):
        self.writer = writer
        self._csv = csv.writer(self, lineterminator="\r\n")

    def write(self, text: str) -> None:  # called by csv.writer
        self.writer.write(text)

    def row(self, values: list) -> None:
        self._csv.writerow([_csv_cell(v) for v in values])


def _csv_cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        value = "|".join(str(v) for v in value)
    text = str(value)
    if text[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + text
    return text


def _iter_records(path: Path) -> Iterator[tuple[int, str]]:
    """(id, canonical line) from an id-ordered JSONL file."""
    if not path.exists():
        return
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            line = line.rstrip("\n")
            if line:
                yield json.loads(line)["id"], line


@dataclass
class DeltaCounts:
    ADD: int = 0
    MOD: int = 0
    DEL: int = 0


def _write_delta(
    out: _HashingWriter, dataset: str, old: Path, new: Path, today: datetime.date
) -> DeltaCounts:
    """Merge two id-ordered files; removals are resolved to a reason in batches."""
    counts = DeltaCounts()
    pending: list[tuple[str, int, str | None]] = []

    def flush() -> None:
        del_ids = [pk for op, pk, _ in pending if op == "DEL"]
        why = reasons.RESOLVERS[dataset](del_ids, today) if del_ids else {}
        for op, pk, line in pending:
            if op == "DEL":
                record = {"op": "DEL", "type": dataset, "id": pk, "reason": why.get(pk)}
                out.write(canonical(record) + "\n")
            else:
                out.write(f'{{"data":{line},"id":{pk},"op":"{op}","type":"{dataset}"}}\n')
            out.rows += 1
            setattr(counts, op, getattr(counts, op) + 1)
        pending.clear()

    def emit(op: str, pk: int, line: str | None) -> None:
        pending.append((op, pk, line))
        if len(pending) >= DEL_BATCH:
            flush()

    olds, news = _iter_records(old), _iter_records(new)
    a, b = next(olds, None), next(news, None)
    while a is not None or b is not None:
        if b is None or (a is not None and a[0] < b[0]):
            emit("DEL", a[0], None)
            a = next(olds, None)
        elif a is None or b[0] < a[0]:
            emit("ADD", b[0], b[1])
            b = next(news, None)
        else:
            if a[1] != b[1]:
                emit("MOD", b[0], b[1])
            a, b = next(olds, None), next(news, None)
    flush()
    return counts


def _new_version_name(base: Path, now: datetime.datetime) -> str:
    name = now.astimezone(datetime.UTC).strftime("%Y%m%dT%H%M%SZ")
    candidate, n = name, 1
    while (base / candidate).exists():
        n += 1
        candidate = f"{name}-{n}"
    return candidate


def _dump_datasets(tmp: Path, today: datetime.date) -> list[dict]:
    """Every dataset from one consistent snapshot of the database (REPEATABLE READ)."""
    files = []
    outermost = not connection.in_atomic_block
    with transaction.atomic():
        if outermost:  # inside a caller's transaction (tests) its snapshot rules apply
            with connection.cursor() as cur:
                cur.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        for ds in datasets.DATASETS:
            jsonl = _HashingWriter(tmp / f"{ds.name}.jsonl")
            csv_writer = _HashingWriter(tmp / f"{ds.name}.csv")
            csv_writer.write("\ufeff")
            sink = _CsvSink(csv_writer)
            sink.row(list(ds.columns))
            last = None
            for record in ds.rows(today):
                assert last is None or record["id"] > last, f"{ds.name} not in id order"
                last = record["id"]
                jsonl.write(canonical(record) + "\n")
                jsonl.rows += 1
                sink.row([record.get(c) for c in ds.columns])
                csv_writer.rows += 1
            files.append({"dataset": ds.name, "format": "jsonl", **jsonl.close()})
            files.append({"dataset": ds.name, "format": "csv", **csv_writer.close()})
    return files


def build_version(*, out: Path | None = None, now: datetime.datetime | None = None) -> dict:
    """Write a new version under `out` (default settings.OPEN_DATA_ROOT) and return its
    manifest. Raises ExportBusy if another export is running."""
    base = Path(out) if out else root()
    base.mkdir(parents=True, exist_ok=True)
    now = now or timezone.now()
    today = timezone.localdate(now)
    with connection.cursor() as cur:
        cur.execute("SELECT pg_try_advisory_lock(%s)", [_LOCK_KEY])
        if not cur.fetchone()[0]:
            raise ExportBusy("another open data export is running")
    try:
        index = read_index(base)
        previous = index.get("latest")
        version = _new_version_name(base, now)
        tmp = base / f".building-{version}"
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir()
        try:
            files = _dump_datasets(tmp, today)
            delta = _HashingWriter(tmp / "delta.jsonl")
            counts = {}
            for ds in datasets.DATASETS:
                old = base / previous / f"{ds.name}.jsonl" if previous else Path("/nonexistent")
                c = _write_delta(delta, ds.name, old, tmp / f"{ds.name}.jsonl", today)
                counts[ds.name] = c.__dict__
            manifest = {
                "format": FORMAT_VERSION,
                "version": version,
                "previous": previous,
                "created_at": now.astimezone(datetime.UTC).isoformat(),
                "as_of": today.isoformat(),
                "licence": LICENCE,
                "files": files,
                "delta": {**delta.close(), "against": previous, "counts": counts},
            }
            _write_atomic(tmp / "manifest.json", json.dumps(manifest, ensure_ascii=False, indent=2))
            os.rename(tmp, base / version)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        manifest_sha = hashlib.sha256((base / version / "manifest.json").read_bytes()).hexdigest()
        index["format"] = FORMAT_VERSION
        index["latest"] = version
        index["versions"].append(
            {
                "version": version,
                "previous": previous,
                "created_at": manifest["created_at"],
                "manifest": f"{version}/manifest.json",
                "manifest_sha256": manifest_sha,
            }
        )
        index["versions"] = _prune(base, index["versions"])
        _write_atomic(base / "index.json", json.dumps(index, ensure_ascii=False, indent=2))
        logger.info("open data version %s written (previous %s)", version, previous)
        return manifest
    finally:
        with connection.cursor() as cur:
            cur.execute("SELECT pg_advisory_unlock(%s)", [_LOCK_KEY])


def _prune(base: Path, versions: list[dict]) -> list[dict]:
    keep = settings.OPEN_DATA_KEEP_VERSIONS
    if len(versions) <= keep:
        return versions
    for old in versions[:-keep]:
        if VERSION_RE.match(old["version"]):
            shutil.rmtree(base / old["version"], ignore_errors=True)
    return versions[-keep:]
