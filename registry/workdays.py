"""Working days, the unit of administrative deadlines (double publicity: 7 working days;
objection admission: 2; objection and repair decisions: 10-15 working days).

The one working-day function of the platform. A working day is Monday to Friday, except the
public holidays of the State Council General Office's yearly notice, plus the weekend days that
notice makes working days (调休上班). The exceptions are data (`registry.CalendarDay`, loaded
from `registry/data/holidays_cn.csv`, maintained by the operator in the admin).
"""

from __future__ import annotations

import csv
import datetime
import time
from pathlib import Path

HOLIDAYS_CSV = Path(__file__).resolve().parent / "data" / "holidays_cn.csv"

# The calendar is a few dozen rows a year and is read on every deadline (10 000 per bulk
# import), so each process keeps it for a minute; an admin edit clears this process's copy at
# once and reaches other workers within CACHE_SECONDS.
CACHE_SECONDS = 60
_cache: tuple[float, dict[datetime.date, str]] | None = None


def calendar_exceptions() -> dict[datetime.date, str]:
    """{date: "holiday" | "working_day"} for every day of the calendar table (one query, kept
    CACHE_SECONDS per process)."""
    global _cache
    now = time.monotonic()
    if _cache is None or now - _cache[0] > CACHE_SECONDS:
        from registry.models import CalendarDay

        _cache = (now, dict(CalendarDay.objects.values_list("date", "kind")))
    return _cache[1]


def clear_calendar_cache() -> None:
    global _cache
    _cache = None


def is_weekend(day: datetime.date) -> bool:
    return day.weekday() >= 5


def is_working_day(day: datetime.date) -> bool:
    """Monday-Friday unless the calendar says holiday; a weekend day the calendar names an
    adjusted working day counts."""
    kind = calendar_exceptions().get(day)
    if kind == "holiday":
        return False
    if kind == "working_day":
        return True
    return not is_weekend(day)


def add_working_days(start: datetime.date, days: int) -> datetime.date:
    """The date `days` working days after `start` (`start` itself not counted, whatever it
    is): 2025-09-30 + 1 = 2025-10-09 (国庆节 1-8 October), and 2025-10-10 + 1 = Saturday
    2025-10-11 (an adjusted working day). `days` <= 0 returns `start`. A year the calendar
    does not cover yet counts Monday-Friday only, so its deadlines may fall earlier than the
    official ones: the operator enters each year's notice when it appears."""
    day = start
    remaining = days
    while remaining > 0:
        day += datetime.timedelta(days=1)
        if is_working_day(day):
            remaining -= 1
    return day


def load_calendar(model, path: Path = HOLIDAYS_CSV) -> int:
    """Insert the data file's days that the table lacks (migrations; idempotent: days the
    operator already maintains are left alone). Returns the rows added."""
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    existing = set(model.objects.values_list("date", flat=True))
    new = [
        model(
            date=datetime.date.fromisoformat(r["date"]),
            kind=r["kind"],
            name=r["name"],
            source=r["source"],
        )
        for r in rows
        if datetime.date.fromisoformat(r["date"]) not in existing
    ]
    model.objects.bulk_create(new)
    return len(new)
