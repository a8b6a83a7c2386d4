"""Portal search: names (Chinese, partial, former, typos), identifiers, filters, privacy."""

from __future__ import annotations

import pytest
from django.db import connection

from publicity import selectors
from registry import selectors as registry_selectors
from registry.models import FormerName
from tests import factories as f

pytestmark = pytest.mark.django_db


def names(response) -> list[str]:
    return [s.name for s in response.context["result"].rows]


def test_database_ctype_is_utf8(db):
    with connection.cursor() as cur:
        cur.execute("SHOW lc_ctype")
        assert "utf" in cur.fetchone()[0].lower()


def test_search_by_partial_name_former_name_and_two_characters(client, scene):
    assert names(client.get("/search/", {"q": "恒信电子"})) == ["杭州恒信电子科技有限公司"]
    assert names(client.get("/search/", {"q": "旧名贸易"})) == ["杭州恒信电子科技有限公司"]
    assert "杭州恒信电子科技有限公司" in names(client.get("/search/", {"q": "恒信"}))


def test_one_character_is_refused_politely(client, scene):
    response = client.get("/search/", {"q": "恒"})
    assert response.status_code == 200
    assert response.context["result"].status == "too_short"


def test_identifier_exact_after_normalisation(client, scene):
    code = scene["company"].identifier
    fullwidth = "".join(chr(ord(c) + 0xFEE0) for c in code).lower()
    response = client.get("/search/", {"q": f"  {fullwidth} "})
    assert names(response) == ["杭州恒信电子科技有限公司"]
    assert response.context["result"].status == "identifier"


def test_invalid_code_says_why(client, scene):
    code = scene["company"].identifier
    wrong = code[:-1] + ("0" if code[-1] != "0" else "1")
    response = client.get("/search/", {"q": wrong})
    assert response.context["result"].rows == []
    # In the portal's language (zh_Hans by default): "...: check character should be X".
    assert f"校验码应为 {code[-1]}" in response.context["result"].invalid_identifier


def test_typo_fallback_finds_a_name_with_one_character_wrong(client, scene):
    response = client.get("/search/", {"q": "恒信点子科技"})
    assert names(response) == ["杭州恒信电子科技有限公司"]
    assert response.context["result"].status == "typo"


def test_natural_persons_only_while_on_a_public_list(client, scene):
    person = scene["person"]
    response = client.get("/search/", {"q": "李四"})
    assert names(response) == ["李四"]
    body = response.content.decode()
    assert person.masked_identifier in body
    assert person.identifier not in body
    assert names(client.get("/search/", {"q": "王五"})) == []
    # Legal representative on no list: not findable either.
    assert names(client.get("/search/", {"q": "赵六"})) == []


def test_resident_id_search_never_echoes_the_number(client, scene):
    person, hidden = scene["person"], scene["hidden"]
    found = client.get("/search/", {"q": person.identifier})
    assert found.status_code == 302
    assert person.identifier not in found["Location"]
    missing = client.get("/search/", {"q": hidden.identifier})
    assert missing.status_code == 200
    assert hidden.identifier not in missing.content.decode()
    assert missing.context["result"].rows == []


def test_badges_and_filters(client, scene):
    both = client.get("/search/", {"q": "有限公司"})
    rows = {s.name: s.badges for s in both.context["result"].rows}
    assert rows["杭州恒信电子科技有限公司"] == ["blacklist"]
    assert rows["宁波诚达进出口有限公司"] == ["redlist"]
    assert names(client.get("/search/", {"q": "有限公司", "redlist": "on"})) == [
        "宁波诚达进出口有限公司"
    ]
    assert names(client.get("/search/", {"q": "有限公司", "blacklist": "on"})) == [
        "杭州恒信电子科技有限公司"
    ]
    assert names(client.get("/search/", {"q": "李四", "kind": "enterprise"})) == []
    f.subject("enterprise", name="北京恒信电子有限公司", division=f.division("110101"))
    zhejiang = names(client.get("/search/", {"q": "恒信电子", "division": "330000"}))
    assert zhejiang == ["杭州恒信电子科技有限公司"]
    beijing = names(client.get("/search/", {"q": "恒信电子", "division": "110000"}))
    assert beijing == ["北京恒信电子有限公司"]


def test_exact_and_prefix_matches_rank_first(client, db):
    f.subject("enterprise", name="上海联合信用服务有限公司")
    f.subject("enterprise", name="联合信用")
    f.subject("enterprise", name="联合信用评级有限公司")
    assert names(client.get("/search/", {"q": "联合信用"})) == [
        "联合信用",
        "联合信用评级有限公司",
        "上海联合信用服务有限公司",
    ]


def test_next_page_link_without_count(client, db, monkeypatch):
    for i in range(selectors.PAGE_SIZE + 3):
        f.subject("enterprise", name=f"分页测试{i:02d}号有限公司")
    first = client.get("/search/", {"q": "分页测试"})
    assert len(first.context["result"].rows) == selectors.PAGE_SIZE
    assert first.context["result"].has_next
    assert 'rel="next"' in first.content.decode()
    second = client.get("/search/", {"q": "分页测试", "page": 2})
    assert len(second.context["result"].rows) == 3
    assert not second.context["result"].has_next


def test_boilerplate_is_capped_not_counted(client, db, monkeypatch):
    monkeypatch.setattr(registry_selectors, "CANDIDATE_CAP", 5)
    for i in range(8):
        f.subject("enterprise", name=f"样板{i}股份有限公司")
    result = client.get("/search/", {"q": "股份有限"}).context["result"]
    assert result.capped
    assert result.total == 5


def test_search_query_count_is_bounded(client, scene, django_assert_max_num_queries):
    for i in range(30):
        s = f.subject("enterprise", name=f"杭州恒信{i}号有限公司")
        FormerName.objects.create(subject=s, name=f"恒信旧名{i}", valid_until="2020-01-01")
    for q in ["恒信", "恒信电子", "有限公司", scene["company"].identifier, "恒信点子科技"]:
        with django_assert_max_num_queries(5):
            assert client.get("/search/", {"q": q, "blacklist": ""}).status_code == 200


# --- registry.selectors.subject_search, as the API uses it ---------------------------------


def found(query: str) -> list:
    return [s.pk for s in registry_selectors.subject_search(query).rows]


def test_subject_search_names_and_former_names(db, company):
    FormerName.objects.create(
        subject=company, name="杭州旧名贸易有限公司", valid_until="2020-01-01"
    )
    other = f.subject("enterprise", name="深圳市华锐达贸易有限责任公司")
    assert set(found("贸易")) == {company.pk, other.pk}
    result = registry_selectors.subject_search("旧名")
    assert [s.pk for s in result.rows] == [company.pk]
    assert result.rows[0].matched_former_name == "杭州旧名贸易有限公司"
    assert result.rows[0].match == "former_name"


def test_subject_search_latin_is_case_insensitive_and_typo_tolerant(db):
    s = f.subject("enterprise", name="Huawei Technologies Co Ltd")
    assert found("huawei tech") == [s.pk]
    conditions = registry_selectors.typo_conditions("name_key", "huawaitechnologies")
    from registry.models import Subject

    assert list(Subject.objects.filter(conditions[0])) == [s]


def test_like_wildcards_in_queries_are_literal(db):
    f.subject("enterprise", name="百分百有限公司")
    assert found("100%") == []
    assert found("__") == []
