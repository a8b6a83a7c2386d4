"""Read-only serving of the open data files at /open-data/ (docs/OPEN_DATA.md).

Files are streamed from disk (FileResponse reads in blocks). Each answer carries an ETag (the
file's SHA-256 from its manifest, or of the small JSON documents) and Last-Modified; a matching
If-None-Match (or an If-Modified-Since no older than the file, without If-None-Match) gets 304.
Names are checked against fixed patterns before touching the disk: no path traversal.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from django.http import FileResponse, Http404, HttpResponseNotModified
from django.utils.http import http_date, parse_http_date_safe
from django.views.decorators.http import require_safe

from opendata import export

CONTENT_TYPES = {
    ".jsonl": "application/x-ndjson; charset=utf-8",
    ".csv": "text/csv; charset=utf-8",
    ".json": "application/json; charset=utf-8",
}


def _not_modified(request, etag: str, mtime: float) -> bool:
    inm = request.headers.get("If-None-Match")
    if inm is not None:
        tags = [t.strip() for t in inm.split(",")]
        return "*" in tags or etag in tags or f"W/{etag}" in tags
    ims = parse_http_date_safe(request.headers.get("If-Modified-Since", ""))
    return ims is not None and int(mtime) <= ims


def _serve(request, path: Path, sha256: str | None, *, immutable: bool):
    try:
        stat = path.stat()
    except FileNotFoundError:
        raise Http404("No such open data file.") from None
    if sha256 is None:
        sha256 = hashlib.sha256(path.read_bytes()).hexdigest()  # small JSON documents only
    etag = f'"{sha256}"'
    cache = "public, max-age=31536000, immutable" if immutable else "public, max-age=300"
    if _not_modified(request, etag, stat.st_mtime):
        response = HttpResponseNotModified()
    else:
        response = FileResponse(open(path, "rb"))  # noqa: SIM115 - closed by Django
        response["Content-Type"] = CONTENT_TYPES[path.suffix]
        response["Content-Length"] = str(stat.st_size)
    response["ETag"] = etag
    response["Last-Modified"] = http_date(stat.st_mtime)
    response["Cache-Control"] = cache
    response["X-Content-Type-Options"] = "nosniff"
    return response


@require_safe
def index(request):
    return _serve(request, export.root() / "index.json", None, immutable=False)


@require_safe
def version_file(request, version: str, name: str = "manifest.json"):
    if not export.VERSION_RE.match(version) or not export.FILE_RE.match(name):
        raise Http404("No such open data file.")
    base = export.root() / version
    manifest_path = base / "manifest.json"
    if not manifest_path.exists():
        raise Http404("No such open data version.")
    if name == "manifest.json":
        return _serve(request, manifest_path, None, immutable=True)
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    known = {f["name"]: f["sha256"] for f in manifest["files"]}
    known[manifest["delta"]["name"]] = manifest["delta"]["sha256"]
    if name not in known:
        raise Http404("No such open data file.")
    return _serve(request, base / name, known[name], immutable=True)
