"""The special credit report (专项信用报告, issue 13: "under 1 s warm to generate").

    DATABASE_URL=postgres://…/scs_i13 python -m benchmarks.special_report

Runs against a database loaded with `seed_demo --demo`. Picks the subjects with the most
negative records and list entries of the last 5 years and measures, warm (fonts loaded, the
template compiled, the connection open), the whole issue as the subject downloads it:
`reports.pdf.issue_special_report` (three selects, the WeasyPrint PDF/UA-1 render with its QR
code, the IssuedReport insert), for the subject's own copy and the public one. The subject gets
BENCH_EXTRA_RECORDS more penalty records of the period first (default 60: several pages, rows
that must not split, repeated headers). The floor is a WeasyPrint render of a one-line page in
the same fonts, measured in the same run. Everything written is rolled back.
"""

from __future__ import annotations

import datetime
import io
import json
import logging
import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "scs.settings")
django.setup()

from django.db import transaction  # noqa: E402
from django.db.models import Count, Q  # noqa: E402
from django.utils import translation  # noqa: E402

from benchmarks.harness import measure, report  # noqa: E402
from registry.models import CatalogueItem, CreditRecord, Subject  # noqa: E402
from reports.pdf import issue_special_report  # noqa: E402
from reports.selectors import Audience, special_period_bounds, special_report  # noqa: E402

REPEAT = int(os.environ.get("BENCH_REPEAT", "10"))
EXTRA_RECORDS = int(os.environ.get("BENCH_EXTRA_RECORDS", "60"))
FLOOR_HTML = (
    "<html lang=\"zh-CN\"><body style=\"font-family: 'WenQuanYi Zen Hei', 'Noto Sans CJK SC', "
    'sans-serif">专项信用报告</body></html>'
)


def busiest_subject(start, end) -> Subject:
    """The organisation with the most negative records and list entries in the period."""
    return (
        Subject.objects.exclude(kind="natural_person")
        .annotate(
            n=Count(
                "credit_records",
                filter=Q(
                    credit_records__catalogue_item__category="negative",
                    credit_records__decision_date__gte=start,
                ),
                distinct=True,
            )
            + Count("list_entries", distinct=True)
        )
        .order_by("-n", "pk")
        .first()
    )


def add_penalties(subject: Subject, count: int, start: datetime.date) -> None:
    item = CatalogueItem.objects.filter(
        record_type="administrative_penalty", visibility="public", category="negative"
    ).first()
    agency = item.supplying_agency
    CreditRecord.objects.bulk_create(
        CreditRecord(
            subject=subject,
            catalogue_item=item,
            agency=agency,
            decision_number=f"杭市监罚〔{start.year + 1 + i % 3}〕BENCH{i}号",
            decision_date=start + datetime.timedelta(days=30 + i * 10),
            title=f"违反《中华人民共和国广告法》第二十八条的行政处罚 {i}",
            content="当事人发布虚假广告，责令停止发布，罚款人民币贰万元整。" * (1 + i % 4),
            legal_basis="《中华人民共和国广告法》第五十五条第一款",
            penalty_kind="罚款",
            severity="ordinary",
            publicity_ends_on=start + datetime.timedelta(days=6 * 365),
        )
        for i in range(count)
    )


def main() -> None:

    logging.getLogger("weasyprint").setLevel(logging.WARNING)
    logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)
    with transaction.atomic():
        run()
        transaction.set_rollback(True)


def run() -> None:
    from pypdf import PdfReader
    from weasyprint import HTML

    start, end = special_period_bounds()
    subject = busiest_subject(start, end)
    add_penalties(subject, EXTRA_RECORDS, start)
    own = special_report(subject, period_from=start, period_to=end, audience=Audience.SUBJECT)
    rows = len(own.penalties) + len(own.entries) + len(own.other_records)
    print(f"subject {subject.pk} ({subject.name}): {rows} rows in its own report")

    floor = measure("one-line WeasyPrint page", lambda: HTML(string=FLOOR_HTML).write_pdf(),
                    repeat=REPEAT)  # fmt: skip
    results = []
    with translation.override("zh-hans"):
        for audience in (Audience.SUBJECT, Audience.PUBLIC):

            def issue(audience=audience):
                with transaction.atomic():  # a savepoint: each issue leaves no row
                    _report, content = issue_special_report(
                        subject, period_from=start, period_to=end, audience=audience
                    )
                    transaction.set_rollback(True)
                return content

            content = issue()
            pages = len(PdfReader(io.BytesIO(content)).pages)
            timing = measure(f"issue_special_report ({audience})", issue, repeat=REPEAT)
            print(f"  PDF {len(content) / 1024:.0f} KiB, {pages} pages")
            results.append(report(f"special report, {audience} copy, warm", timing, floor))
    print(json.dumps({"subject_rows": rows, "results": results}, ensure_ascii=False))


if __name__ == "__main__":
    main()
