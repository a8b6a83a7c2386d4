"""Issue 8: names, identifiers and files as people actually type and save them."""

from __future__ import annotations

import datetime

import pytest
from django.utils import translation
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from registry import identifiers, names
from registry import selectors as registry_selectors
from registry.models import FormerIdentifier, FormerName, Subject
from tests import factories as f

pytestmark = pytest.mark.django_db


def api_names(api, q: str) -> list[str]:
    response = api.get("/api/v1/subjects/", {"q": q})
    assert response.status_code == 200, response.content
    return [s["name"] for s in response.json()["results"]]


# --- one name normaliser -------------------------------------------------------------------


def test_search_key_folds_each_kind_of_variant():
    key = names.search_key
    assert key("润业信(深圳)化工集团有限公司") == key("润业信（深圳）化工集团有限公司")
    assert key("润业信【深圳】化工") == key("润业信〔深圳〕化工") == key("润业信[深圳]化工")
    for sep in "·•・．.‧-":
        assert key(f"帕丽达{sep}艾合买提") == key("帕丽达艾合买提")
    assert key("張丹茜") == key("张丹茜")
    assert key("ＡＢＣ　有限公司") == key("abc有限公司")
    assert names.pinyin_key("华为技术") == "huaweijishu"


def test_api_finds_names_typed_another_way(caac_api):
    f.subject("enterprise", name="润业信（深圳）化工集团有限公司")
    f.subject("natural_person", name="帕丽达·艾合买提")
    f.subject("natural_person", name="张丹茜")
    f.subject("enterprise", name="石家庄市永明祺珠宝股份有限公司")
    assert api_names(caac_api, "润业信(深圳)化工集团有限公司") == ["润业信（深圳）化工集团有限公司"]
    assert api_names(caac_api, "帕丽达.艾合买提") == ["帕丽达·艾合买提"]
    assert api_names(caac_api, "帕丽达艾合买提") == ["帕丽达·艾合买提"]
    assert api_names(caac_api, "張丹茜") == ["张丹茜"]
    assert api_names(caac_api, "永明 珠宝") == ["石家庄市永明祺珠宝股份有限公司"]
    assert api_names(caac_api, "永明 手表") == []


def test_pinyin_ranks_below_character_matches(caac_api):
    f.subject("enterprise", name="华为技术有限公司")
    f.subject("enterprise", name="深圳市华为终端有限公司")
    f.subject("enterprise", name="Huawei Trading Ltd")
    f.subject("enterprise", name="华伟贸易有限公司")  # huawei too, by pinyin
    results = caac_api.get("/api/v1/subjects/", {"q": "huawei"}).json()["results"]
    assert results[0]["name"] == "Huawei Trading Ltd" and results[0]["match"] == "name"
    assert {r["name"] for r in results[1:]} == {
        "华为技术有限公司",
        "深圳市华为终端有限公司",
        "华伟贸易有限公司",
    }
    assert {r["match"] for r in results[1:]} == {"pinyin"}
    # Under three letters: characters only, no pinyin.
    assert api_names(caac_api, "hu") == ["Huawei Trading Ltd"]


def test_results_say_which_former_name_matched(caac_api, company):
    FormerName.objects.create(
        subject=company, name="杭州旧名貿易有限公司", valid_until="2020-01-01"
    )
    [hit] = caac_api.get("/api/v1/subjects/", {"q": "旧名贸易"}).json()["results"]
    assert hit["match"] == "former_name"
    assert hit["matched_former_name"] == "杭州旧名貿易有限公司"


def test_portal_finds_traditional_and_fullwidth_input(client):
    f.subject("enterprise", name="润业信（深圳）化工集团有限公司")
    s = f.subject("enterprise", name="張記食品有限公司")
    for q in ["润业信(深圳)化工", "张记食品", "ＺＨＡＮＧＪＩ" if False else "張記食品"]:
        rows = client.get("/search/", {"q": q}).context["result"].rows
        assert rows, q
    fullwidth = "".join(chr(ord(c) + 0xFEE0) for c in s.identifier)
    response = client.get("/search/", {"q": fullwidth})
    assert response.status_code == 302 or response.context["result"].rows == [s]


_CJK = st.characters(min_codepoint=0x4E00, max_codepoint=0x9FA5)


@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    core=st.text(alphabet=_CJK, min_size=4, max_size=8),
    bracket=st.sampled_from(["（）", "()", "【】", "〔〕", "[]"]),
    sep=st.sampled_from(["·", "•", "・", "．", ".", "‧", "-", ""]),
)
def test_property_folded_names_are_found_and_rank_first(core, bracket, sep):
    """For a random registered name, the name transformed by each fold (brackets,
    separators, full-width, traditional) finds it, and it ranks first for its full name."""
    name = f"{core[:2]}（北京）{core[2:]}·集团有限公司"
    subject = f.subject("enterprise", name=name)
    f.subject("enterprise", name=f"{name}分公司")  # a longer name containing it
    variants = [
        name,
        name.replace("（", bracket[0]).replace("）", bracket[1]),
        name.replace("·", sep),
        name.replace("北京", "北京").replace("集团", "集團"),  # traditional
        name.replace("（", "(").replace("）", ")").replace("·", " · "),  # ASCII + spaces
    ]
    for variant in variants:
        rows = registry_selectors.subject_search(variant).rows
        assert rows and rows[0].pk == subject.pk, variant
    Subject.objects.filter(name__startswith=name).delete()


# --- identifiers -------------------------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(
    born=st.dates(datetime.date(1900, 1, 1), datetime.date(1999, 12, 31)),
    region=st.sampled_from(["110105", "350203", "440305", "650102", "330106"]),
    seq=st.integers(0, 999),
)
def test_every_1900s_id_cut_to_15_digits_upgrades_to_itself(born, region, seq):
    first17 = f"{region}{born:%Y%m%d}{seq:03d}"
    full = first17 + identifiers.resident_id_check_character(first17)
    cut = full[:6] + full[8:17]
    assert identifiers.upgrade_resident_id(cut) == full
    assert identifiers.parse_identifier(cut) == identifiers.ParsedIdentifier(
        full, "resident_id", cut
    )


def test_fifteen_digit_id_in_api_lookup_and_search(caac_api):
    person = f.subject("natural_person", name="王小明")
    cut = person.identifier[:6] + person.identifier[8:17]
    detail = caac_api.get(f"/api/v1/subjects/{cut}/").json()
    assert detail["identifier"] == person.identifier
    assert "identifier_upgraded_from" in detail
    found = caac_api.get("/api/v1/subjects/", {"q": cut}).json()
    assert [s["name"] for s in found["results"]] == ["王小明"]
    assert found["identifier"]["upgraded_from_15_digits"] is True


def test_spreadsheet_mangled_codes_say_so_without_a_check_character():
    for raw in ["1.10105E+17", "1.10105e+17", "110105196603150000", "110105196603150000.0"]:
        with pytest.raises(identifiers.IdentifierError) as exc:
            identifiers.parse_identifier(raw)
        assert exc.value.code == "spreadsheet"
        with translation.override("en"):
            assert "spreadsheet" in exc.value.message and "Text" in exc.value.message
            assert "should be" not in exc.value.message
        with translation.override("zh-hans"):
            assert "电子表格" in exc.value.message and "“文本”格式" in exc.value.message
            assert "校验码" not in exc.value.message


def register(api, lang="zh-CN", **body):
    payload = {"kind": "enterprise", "name": "厦门某某贸易有限公司", **body}
    return api.post("/api/v1/subjects/", payload, format="json", HTTP_ACCEPT_LANGUAGE=lang)


def test_nonconforming_code_of_record(registrar_api, caac_api):
    code = "91350203M0001QKT19"  # reported publicly; fails the GB 32100 check
    refused = register(registrar_api, identifier=code)  # Accept-Language: zh-CN
    assert refused.status_code == 400
    message = refused.json()["errors"]["identifier"][0]
    assert message.startswith("统一社会信用代码：校验码应为 ")  # the USCC's own: may be named
    assert "。校验规则实施前核发、在案的存量代码，可由登记管理机关设置 nonconforming_check" in (
        message
    )
    english = register(registrar_api, lang="en", identifier=code).json()["errors"]["identifier"]
    assert "check character" in english[0] and "nonconforming_check" in english[0]
    no_note = register(registrar_api, identifier=code, nonconforming_check=True)
    assert no_note.status_code == 400 and "note" in no_note.json()["errors"]
    ok = register(
        registrar_api, identifier=code, nonconforming_check=True, note="营业执照原件,2015年核发"
    )
    assert ok.status_code == 201, ok.content
    assert ok.json()["nonconforming_check"] is True
    subject = Subject.objects.get(identifier=code)
    assert subject.nonconforming_note == "营业执照原件,2015年核发"
    event = subject.events.get(pgh_label="insert")
    assert "营业执照原件" in event.pgh_context.metadata["reason"]
    # Once registered: exact lookup, search and screening work like any other code.
    assert caac_api.get(f"/api/v1/subjects/{code.lower()}/").json()["nonconforming_check"]
    assert api_names(caac_api, code) == ["厦门某某贸易有限公司"]
    screened = caac_api.post("/api/v1/screenings/", {"identifiers": [code]}, format="json")
    assert screened.json()["results"][0]["known"] is True


def test_kind_decides_how_a_code_is_read(registrar_api):
    gov = register(
        registrar_api, kind="government_body", identifier="11110119870512237X", name="某局"
    )
    assert gov.status_code == 201, gov.content
    assert gov.json()["identifier"] == "11110119870512237X"
    as_company = register(registrar_api, lang="en", identifier=f.resident_id())
    assert as_company.status_code == 400
    assert "USCC" in as_company.json()["errors"]["identifier"][0]
    person = register(registrar_api, kind="natural_person", identifier=f.uscc(), name="某人")
    assert person.status_code == 400


def test_kind_and_code_must_agree(registrar_api):
    response = register(registrar_api, lang="en", identifier=f.uscc(prefix="92"))
    assert response.status_code == 400
    message = response.json()["errors"]["identifier"][0]
    assert "'92'" in message and "individual business" in message and "an enterprise" in message
    assert register(registrar_api, kind="individual_business", identifier=f.uscc(prefix="92"))
    assert (
        register(
            registrar_api, kind="public_institution", identifier=f.uscc(prefix="11")
        ).status_code
        == 400
    )


def test_fifteen_digit_id_upgraded_on_registration(registrar_api):
    full = f.resident_id()
    cut = full[:6] + full[8:17]
    response = register(registrar_api, kind="natural_person", identifier=cut, name="老证件")
    assert response.status_code == 201, response.content
    assert Subject.objects.filter(identifier=full).exists()
    assert "identifier_upgraded_from" in response.json()


def test_older_numbers_find_the_subject(caac_api, client, company):
    FormerIdentifier.objects.create(
        subject=company, scheme="business_registration", value="330100000054321",
        valid_until=datetime.date(2016, 6, 30),
    )  # fmt: skip
    org = company.identifier[8:16] + "-" + company.identifier[16]
    for q in [org, org.replace("-", ""), "330100000054321"]:
        found = caac_api.get("/api/v1/subjects/", {"q": q}).json()
        assert [s["identifier"] for s in found["results"]] == [company.identifier], q
    portal = client.get("/search/", {"q": org})
    assert portal.status_code == 302 or portal.context["result"].rows == [company]
    detail = caac_api.get(f"/api/v1/subjects/{company.identifier}/").json()
    assert detail["former_identifiers"][0]["value"] == "330100000054321"


# --- admin: the same search, the same registration rules ----------------------------------


def test_admin_search_uses_the_shared_selector(client, carol):
    f.subject("enterprise", name="润业信（深圳）化工集团有限公司")
    f.subject("enterprise", name="华为技术有限公司")
    client.force_login(carol)
    for q, expected in [("润业信(深圳)", "润业信（深圳）化工"), ("huawei", "华为技术有限公司")]:
        page = client.get("/admin/registry/subject/", {"q": q}).content.decode()
        assert expected in page, q


def test_admin_registers_a_nonconforming_code_with_a_note(client, samr):
    registrar = f.user("registrar", samr)
    client.force_login(registrar)
    form = {
        "kind": "enterprise",
        "identifier": "91350203M0001QKT19",
        "name": "厦门某某贸易有限公司",
        "status": "active",
        **{
            f"{prefix}-{k}": v
            for prefix in ("former_names", "former_identifiers", "roles")
            for k, v in {"TOTAL_FORMS": "0", "INITIAL_FORMS": "0"}.items()
        },
    }
    refused = client.post("/admin/registry/subject/add/", form)
    assert refused.status_code == 200
    assert "nonconforming_check" in refused.content.decode()
    form |= {"nonconforming_check": "on", "nonconforming_note": "2015年地方核发,原件在案"}
    saved = client.post("/admin/registry/subject/add/", form)
    assert saved.status_code == 302, saved.content.decode()[:2000]
    subject = Subject.objects.get(identifier="91350203M0001QKT19")
    assert subject.nonconforming_check and "原件在案" in subject.nonconforming_note
    event = subject.events.get(pgh_label="insert")
    assert "原件在案" in event.pgh_context.metadata["reason"]


# --- divisions ------------------------------------------------------------------------------


def test_full_divisions_loaded_and_listed(caac_api, registrar_api):
    from registry.models import Division

    assert Division.objects.filter(level="county", abolished=False).count() >= 2800
    assert Division.objects.get(code="110103").abolished  # 崇文区, merged in 2010
    found = caac_api.get("/api/v1/divisions/", {"q": "思明"}).json()["results"]
    assert {
        "code": "350203",
        "name_zh": "思明区",
        "name_en": "Siming District",
        "level": "county",
        "parent": "350200",
        "abolished": False,
    } in found
    by_code = caac_api.get("/api/v1/divisions/", {"q": "3502"}).json()["results"]
    assert {d["code"] for d in by_code} >= {"350200", "350203", "350205"}
    # A county code is accepted where it was refused before.
    response = register(
        registrar_api, identifier=f.uscc(division="350203"), division="350203", name="厦门测试"
    )
    assert response.status_code == 201, response.content


def test_portal_pages_for_the_name_examples(client):
    renamed = f.subject("enterprise", name="石家庄市永明祺珠宝股份有限公司")
    FormerName.objects.create(subject=renamed, name="石家庄永明珠寶商行", valid_until="2019-05-01")
    f.subject("enterprise", name="华为技术有限公司")
    page = client.get("/search/", {"q": "永明 珠宝"}, HTTP_ACCEPT_LANGUAGE="zh-CN")
    assert [s.pk for s in page.context["result"].rows] == [renamed.pk]
    former = client.get("/search/", {"q": "永明珠宝商行"}, HTTP_ACCEPT_LANGUAGE="zh-CN")
    assert "匹配曾用名:石家庄永明珠寶商行" in former.content.decode()
    latin = client.get("/search/", {"q": "huawei"}, HTTP_ACCEPT_LANGUAGE="zh-CN")
    assert "华为技术有限公司" in latin.content.decode() and "按拼音匹配" in latin.content.decode()


def test_a_word_that_passes_the_organisation_code_check_still_searches_names(caac_api):
    word = "ygrrhmqlx"  # 9 letters whose last one happens to be the GB 11714 check character
    assert identifiers.parse_organisation_code(word) is not None
    f.subject("enterprise", name=f"{word.upper()} Trading Ltd")
    assert api_names(caac_api, word) == [f"{word.upper()} Trading Ltd"]


def test_fifteen_digit_role_holder_is_upgraded_and_said(registrar_api):
    """A 15-digit ID of a legal representative registers the 18-digit holder, and that role
    in the response carries identifier_upgraded_from; a role given in 18 digits does not."""
    full, other = f.resident_id(), f.resident_id()
    cut = full[:6] + full[8:17]
    response = register(
        registrar_api,
        identifier=f.uscc(),
        roles=[
            {"role": "legal_representative", "holder_identifier": cut, "holder_name": "老证件"},
            {"role": "supervisor", "holder_identifier": other, "holder_name": "新证件"},
        ],
    )
    assert response.status_code == 201, response.content
    assert Subject.objects.filter(identifier=full, name="老证件").exists()
    roles = {r["holder_name"]: r for r in response.json()["roles"]}
    assert roles["老证件"]["identifier_upgraded_from"] == "15-digit first-generation resident ID"
    assert "identifier_upgraded_from" not in roles["新证件"]
    assert "identifier_upgraded_from" not in response.json()
