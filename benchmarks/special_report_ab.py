"""A/B of the special report's WeasyPrint render in one process, interleaved, timed in CPU
seconds of this process (time.process_time) as well as wall time: on a loaded shared machine
(load 15+ on 2 cores) wall times of the same render vary 2x, CPU time much less.

    DATABASE_URL=postgres://…/scs_demo BENCH_EXTRA_RECORDS=200 \
        python -m benchmarks.special_report_ab

A: the report's HTML with its stylesheet inline, WeasyPrint defaults (a new FontConfiguration
per document), as before issue 13's tuning. B: reports.pdf.render_special_pdf as it is now.
Both render the same SpecialReport (the subject's own copy) to PDF/UA-1.
"""

from __future__ import annotations

import logging
import os
import statistics
import time

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "scs.settings")
django.setup()

from django.conf import settings  # noqa: E402
from django.db import transaction  # noqa: E402
from django.template.loader import render_to_string  # noqa: E402
from django.utils import timezone, translation  # noqa: E402

from benchmarks.special_report import EXTRA_RECORDS, add_penalties, busiest_subject  # noqa: E402
from reports.pdf import SPECIAL_REPORT_CSS, qr_data_uri, render_special_pdf  # noqa: E402
from reports.selectors import Audience, special_period_bounds, special_report  # noqa: E402

REPEAT = int(os.environ.get("BENCH_REPEAT", "5"))


def render_a(report, number, generated_at) -> bytes:
    from weasyprint import HTML

    html = render_to_string(
        "publicity/special_report_pdf.html",
        {"report": report, "subject": report.subject, "number": number,
         "generated_at": generated_at, "verify_url": "https://x/reports/" + number + "/",
         "qr": qr_data_uri("https://x/reports/" + number + "/")},
    )  # fmt: skip
    inline = SPECIAL_REPORT_CSS.read_text().replace(
        "position: absolute; top: 0; right: 0;", "float: right;"
    )
    html = html.replace("</style>", inline + "</style>", 1)
    return HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf(pdf_variant="pdf/ua-1")


def render_b(report, number, generated_at) -> bytes:
    return render_special_pdf(report, number=number, generated_at=generated_at)


def timed(fn, *args):
    wall, cpu = time.perf_counter(), time.process_time()
    content = fn(*args)
    return time.perf_counter() - wall, time.process_time() - cpu, len(content)


def main() -> None:
    logging.getLogger("weasyprint").setLevel(logging.WARNING)
    with transaction.atomic(), translation.override("zh-hans"):
        start, end = special_period_bounds()
        subject = busiest_subject(start, end)
        add_penalties(subject, EXTRA_RECORDS, start)
        report = special_report(
            subject, period_from=start, period_to=end, audience=Audience.SUBJECT
        )
        rows = len(report.penalties) + len(report.entries) + len(report.other_records)
        now = timezone.now()
        for fn in (render_a, render_b):  # warm both
            fn(report, "CR20261201ABCDEF0123", now)
        results = {"A": [], "B": []}
        for _ in range(REPEAT):
            for name, fn in (("A", render_a), ("B", render_b)):
                results[name].append(timed(fn, report, "CR20261201ABCDEF0123", now))
        print(f"{rows} rows, load {open('/proc/loadavg').read().split()[:3]}")
        for name, runs in results.items():
            wall = statistics.median(r[0] for r in runs) * 1000
            cpu = statistics.median(r[1] for r in runs) * 1000
            print(
                f"  {name}: CPU {cpu:7.0f} ms median, wall {wall:7.0f} ms median,"
                f" {runs[0][2] / 1024:.0f} KiB"
            )
        transaction.set_rollback(True)


if __name__ == "__main__":
    main()
