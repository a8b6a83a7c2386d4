"""cProfile of one warm special-report issue (issue 13: where the time goes).

    DATABASE_URL=postgres://…/scs_demo BENCH_EXTRA_RECORDS=200 \
        python -m benchmarks.special_report_profile

Same subject and extra records as benchmarks/special_report.py; one warm-up issue, then one
profiled issue of the subject's own copy; prints the top functions by cumulative and by own
time. Everything written is rolled back.
"""

from __future__ import annotations

import cProfile
import logging
import os
import pstats

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "scs.settings")
django.setup()

from django.db import transaction  # noqa: E402
from django.utils import translation  # noqa: E402

from benchmarks.special_report import EXTRA_RECORDS, add_penalties, busiest_subject  # noqa: E402
from reports.pdf import issue_special_report  # noqa: E402
from reports.selectors import Audience, special_period_bounds  # noqa: E402

TOP = int(os.environ.get("BENCH_PROFILE_TOP", "35"))


def main() -> None:
    logging.getLogger("weasyprint").setLevel(logging.WARNING)
    with transaction.atomic(), translation.override("zh-hans"):
        start, end = special_period_bounds()
        subject = busiest_subject(start, end)
        add_penalties(subject, EXTRA_RECORDS, start)

        def issue():
            return issue_special_report(
                subject, period_from=start, period_to=end, audience=Audience.SUBJECT
            )

        issue()  # warm: fonts, templates, imports
        profile = cProfile.Profile()
        profile.enable()
        issue()
        profile.disable()
        stats = pstats.Stats(profile)
        stats.sort_stats("cumulative").print_stats(TOP)
        stats.sort_stats("tottime").print_stats(TOP)
        transaction.set_rollback(True)


if __name__ == "__main__":
    main()
