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
