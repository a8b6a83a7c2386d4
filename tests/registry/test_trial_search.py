"""Found by trying the admin's subject autocomplete as a clerk (trial T2): a natural person is
often known only by the masked ID printed on a court notice or a list ("1101**********0022",
"110101********0022"); the shared search finds the persons it can stand for."""

from __future__ import annotations

import pytest

from registry.identifiers import mask_resident_id, parse_masked_resident_id
from registry.selectors import subject_search
from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1101**********0022", ("1101", "0022")),
        ("110101********0022", ("110101", "0022")),
        ("１１０１＊＊＊＊＊＊＊＊＊＊００２２", ("1101", "0022")),  # full width
        (" 1101 ********** 002x ", ("1101", "002X")),
        ("110101199003070022", None),  # a whole ID is not a masked one
        ("11**************22", None),  # too little left to search by
        ("1101*****0022*", None),
        ("ABCD**********0022", None),
        ("1101**********00220000", None),
        ("**", None),
    ],
)
def test_parse_masked_resident_id(raw, expected):
    assert parse_masked_resident_id(raw) == expected


def test_masked_id_finds_the_persons_it_stands_for_and_no_one_else():
    person = f.subject("natural_person", name="张三", identifier="110101199003070022")
    f.subject("natural_person", name="李四", identifier="110101198001010033")
    f.subject("natural_person", name="王五", identifier="120101198001010022")  # same tail
    for query in (mask_resident_id(person.identifier), "110101********0022"):
        found = subject_search(query)
        assert [row.pk for row in found.rows] == [person.pk], query
        assert found.rows[0].match == "masked_identifier"


def test_masked_id_never_matches_an_organisation():
    f.subject("enterprise", identifier="91330100MA2B0022X7")  # not a valid check, shape only
    assert subject_search("9133**********22X7").rows == []


def test_a_masked_id_stands_for_every_person_it_may_be():
    """The head kept is only the city: two persons there with the same tail are both offered."""
    one = f.subject("natural_person", identifier="110101199003070022")
    two = f.subject("natural_person", identifier="110102198001010022")
    found = subject_search("1101**********0022")
    assert {row.pk for row in found.rows} == {one.pk, two.pk}
    # More kept digits than the platform's mask shows narrow nothing: the search must not
    # confirm hidden digits (one search per digit would spell out the whole ID).
    assert {row.pk for row in subject_search("110102********0022").rows} == {one.pk, two.pk}
    assert {row.pk for row in subject_search("11010219800101*022").rows} == {one.pk, two.pk}
