"""Plausibility limits shared by every app's models (issue 10).

- Decision dates: a decision recorded here was taken by a body of the People's Republic,
  founded in 1949; none is dated before 1 January 1949 or after today (Asia/Shanghai).
- Free text: facts, statements and reasons are a few paragraphs, not megabytes.
  `FACTS_MAX_CHARS` (decisions' facts, record contents, disputed facts) and
  `NOTE_MAX_CHARS` (reasons and notes) are generous for real documents.
"""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator
from django.utils import timezone
from django.utils.deconstruct import deconstructible
from django.utils.translation import gettext_lazy as _

EARLIEST_DECISION_DATE = datetime.date(1949, 1, 1)
FACTS_MAX_CHARS = 20_000
NOTE_MAX_CHARS = 5_000


@deconstructible
class PlausibleDecisionDate:
    """Between 1949-01-01 and today, inclusive."""

    def __call__(self, value: datetime.date) -> None:
        if value is None:
            return
        if value < EARLIEST_DECISION_DATE:
            raise ValidationError(
                _("A decision cannot be dated before %(earliest)s."),
                code="too_early",
                params={"earliest": EARLIEST_DECISION_DATE.isoformat()},
            )
        if value > timezone.localdate():
            raise ValidationError(_("A decision cannot be dated in the future."), code="future")

    def __eq__(self, other) -> bool:
        return isinstance(other, PlausibleDecisionDate)


plausible_decision_date = PlausibleDecisionDate()
facts_length = MaxLengthValidator(FACTS_MAX_CHARS)
note_length = MaxLengthValidator(NOTE_MAX_CHARS)


def _days(n: int) -> str:
    """A regex for the two-digit days 01..n (1 <= n <= 31)."""
    if n < 10:
        return f"0[1-{n}]"
    tens, units = divmod(n, 10)
    parts = ["0[1-9]"]
    parts += [f"{t}[0-9]" for t in range(1, tens)]
    parts.append(f"{tens}[0-{units}]")
    return "|".join(parts)


def _month(month: int, days: int) -> str:
    return f"{month:02d}-(?:{_days(days)})"


_MONTH_DAYS = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def decision_date_pattern(today: datetime.date | None = None) -> str:
    """The dates PlausibleDecisionDate accepts, as a regex over `YYYY-MM-DD` for an OpenAPI
    `pattern`: every real date from EARLIEST_DECISION_DATE to `today` (default: today in
    Asia/Shanghai, as the validator reads it), 29 February in leap years included."""
    today = today or timezone.localdate()
    first = EARLIEST_DECISION_DATE.year
    full_years = list(range(first, today.year))
    whole_year = "|".join(_month(m, d) for m, d in enumerate(_MONTH_DAYS, start=1))
    parts = []
    if full_years:
        years = "|".join(str(y) for y in full_years)
        parts.append(f"(?:{years})-(?:{whole_year})")
        leap = [y for y in full_years if y % 4 == 0 and (y % 100 or y % 400 == 0)]
        if leap:
            parts.append(f"(?:{'|'.join(str(y) for y in leap)})-02-29")
    this_year = [_month(m, d) for m, d in enumerate(_MONTH_DAYS[: today.month - 1], start=1)]
    y = today.year
    if today.month > 2 and y % 4 == 0 and (y % 100 or y % 400 == 0):
        this_year.append("02-29")
    this_year.append(_month(today.month, today.day))
    parts.append(f"{y}-(?:{'|'.join(this_year)})")
    return f"^(?:{'|'.join(parts)})$"
