"""Working days, the unit of administrative deadlines (double publicity: 7 working days;
objection and repair decisions: 10-15 working days)."""

from __future__ import annotations

import datetime
import functools


# A pure function of its arguments: a batch of 10 000 records asks for a few distinct dates.
@functools.lru_cache(maxsize=4096)
def add_working_days(start: datetime.date, days: int) -> datetime.date:
    """`days` Mon-Fri working days after `start`. Public holidays are not modelled yet (no
    official calendar feed); a deadline is then at most a few days generous, never shorter
    than the rule."""
    day = start
    remaining = days
    while remaining > 0:
        day += datetime.timedelta(days=1)
        if day.weekday() < 5:
            remaining -= 1
    return day
