"""Conditions a measure's text states, and whether its data encodes them (issue 9 §1).

A measure's applicability is data (`Measure.applies_to`, `MeasureCoListing`) applied by the
expected-set SQL (`sanctions.propagation`). The text of a memorandum states the same
conditions in set phrases; `unencoded_conditions` reads them, so that a measure whose text says
"被执行人为自然人的" but whose data reaches every subject is found as a data error (the demo
data test runs it over every demo measure).
"""

from __future__ import annotations

import re

# Lists whose entries are judgment debtors (被执行人): the SPC's defaulter list and its
# high-consumption restriction list (法释〔2015〕17号 applies to 被执行人).
JUDGMENT_DEBTOR_LISTS = frozenset({"spc_defaulters", "spc_high_consumption"})

_NATURAL_PERSON = re.compile(r"^[^，,。；]*为自然人的")
_UNIT = re.compile(r"^[^，,。；]*为单位的")
_ALSO_DEBTOR = re.compile(r"为被执行人的")


def stated_applies_to(text: str) -> str:
    """'natural_persons', 'units' or 'any', from the opening clause of a measure's text."""
    if _NATURAL_PERSON.search(text):
        return "natural_persons"
    if _UNIT.search(text):
        return "units"
    return "any"


def unencoded_conditions(text: str, applies_to: str, co_listing: list[str]) -> list[str]:
    """Mismatches between what the text states and the data: a list of messages, empty when
    the data encodes every stated condition (and states none the text lacks)."""
    gaps = []
    stated = stated_applies_to(text)
    if stated != applies_to:
        gaps.append(f"text states applicability {stated!r}, data says {applies_to!r}")
    if _ALSO_DEBTOR.search(text) and not JUDGMENT_DEBTOR_LISTS & set(co_listing):
        gaps.append("text requires the subject to be a judgment debtor; no such co-listing")
    return gaps
