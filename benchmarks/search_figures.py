"""API search, subject detail and screening figures at the database's size (issue 8).

    DATABASE_URL=postgres://…/scs_bench .venv/bin/python benchmarks/search_figures.py

Only HTTP calls through Django's test Client, so the same script measures the code before
and after a change to the search; the portal's figures come from benchmarks/portal_search.py.
Prints median and p95 (ms) of each query class over 20 runs.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "scs.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.test import Client  # noqa: E402
from knox.models import AuthToken  # noqa: E402

from benchmarks.harness import measure  # noqa: E402
from registry.models import Agency, Subject, User  # noqa: E402


def main() -> None:
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_CLASSES": []}
    caac = Agency.objects.get(short_name__in=["民航局", "中国民用航空局"])
    user, _ = User.objects.get_or_create(
        username=f"bench-{caac.pk}", defaults={"agency": caac, "is_system": True}
    )
    _instance, token = AuthToken.objects.create(user=user)
    api = Client(HTTP_AUTHORIZATION=f"Token {token}")
    total = Subject.objects.count()
    sample = Subject.objects.filter(kind="enterprise").order_by("id")[total // 2 :].first()
    rare = sample.name[2:6]
    queries = [
        ("identifier", sample.identifier),
        (f"rare fragment {rare}", rare),
        ("boilerplate 有限公司", "有限公司"),
        (f"2 characters {sample.name[:2]}", sample.name[:2]),
        ("Latin huawei", "huawei"),
        (f"two terms {sample.name[:2]} 有限", f"{sample.name[:2]} 有限"),
    ]
    print(f"API search: {total} subjects, 20 runs each (ms)")
    for label, q in queries:
        result = measure(label, lambda q=q: api.get("/api/v1/subjects/", {"q": q}), repeat=20)
        print(f"  {label[:34]:34} p50 {result.median_ms:8.2f}  p95 {result.p95_ms:8.2f}")
    result = measure("detail", lambda: api.get(f"/api/v1/subjects/{sample.identifier}/"))
    print(f"  {'detail':34} p50 {result.median_ms:8.2f}  p95 {result.p95_ms:8.2f}")
    codes = list(Subject.objects.order_by("id").values_list("identifier", flat=True)[::100])
    codes = codes[:10_000]
    result = measure(
        "screening",
        lambda: api.post(
            "/api/v1/screenings/", {"identifiers": codes}, content_type="application/json"
        ),
        repeat=5,
    )
    label = f"screening {len(codes)}"
    print(f"  {label:34} p50 {result.median_ms:8.2f}  p95 {result.p95_ms:8.2f}")


if __name__ == "__main__":
    main()
