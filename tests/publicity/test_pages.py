"""Subject pages, reports, lists, memoranda, statistics and languages."""

from __future__ import annotations

import gettext
import hashlib
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile

from publicity import selectors
from reports.models import IssuedReport
from tests import factories as f
from tests.publicity.conftest import make_entry, publish

pytestmark = pytest.mark.django_db


def page_of(client, subject):
    return client.get(f"/subjects/{selectors.subject_ref(subject)}/")


def test_company_page_shows_public_facts_with_provenance(client, scene):
    response = page_of(client, scene["company"])
    assert response.status_code == 200
    body = response.content.decode()
    assert "杭州旧名贸易有限公司" in body  # former name
    assert "(2026)浙01执123号" in body  # source decision
    assert "《测试条例》第十条第一项" in body  # ground's legal basis
    # Measure → memorandum → entry: the provenance of the restriction.
    assert "限制乘坐民用航空器" in body
    assert "发改财金〔2016〕141号" in body
    assert "《民用航空安全保卫条例》" in body
    # Double publicity, public and current only.
    assert "虚假宣传处罚A" in body and "食品经营许可B" in body
    assert "内部检查记录C" not in body  # government-only
    assert "过期处罚记录D" not in body  # past its publicity period
    # The legal representative is on no list: no name, no number, no link.
    assert "赵六" not in body and scene["legal_rep"].identifier not in body


def test_redlist_incentives_shown(client, scene):
    body = page_of(client, scene["honoured"]).content.decode()
    assert "海关通关便利" in body
    assert "redlist" in body


def test_person_pages(client, scene):
    person, hidden = scene["person"], scene["hidden"]
    response = page_of(client, person)
    body = response.content.decode()
    assert response.status_code == 200
    assert person.masked_identifier in body
    assert person.identifier not in body
    assert re.fullmatch(r"\d{4}\*{10}[\dX]{4}", person.masked_identifier)
    assert page_of(client, hidden).status_code == 404
    assert client.get(f"/subjects/{hidden.identifier}/").status_code == 404
    # A typed resident ID redirects to the signed address; a forged reference 404s.
    typed = client.get(f"/subjects/{person.identifier}/")
    assert typed.status_code == 302 and person.identifier not in typed["Location"]
    forged = selectors.subject_ref(hidden).split(".")[0] + ".forged"
    assert client.get(f"/subjects/{forged}/").status_code == 404


def test_entry_out_of_publicity_disappears(client, scene, alice, bob):
    from blacklists import services as list_services

    list_services.list_entry_revoke(actor=bob, entry=scene["entry"], reason="法院撤销")
    body = page_of(client, scene["company"]).content.decode()
    assert "(2026)浙01执123号" not in body
    assert "限制乘坐民用航空器" not in body


def test_subject_page_query_count_is_bounded(
    client, scene, alice, bob, django_assert_max_num_queries
):
    company = scene["company"]
    for i in range(5):
        holder = f.subject("natural_person", name=f"董事{i}")
        f.role(company, holder, "director")
    for i in range(3):
        publish(
            make_entry(scene["entry"].list, company, alice, number=f"(2026)浙01执9{i}号"),
            alice,
            bob,
        )
    # The first view of an unrated enterprise also loads the rating's rule set (cached
    # afterwards), reads its inputs and stores the rating: at most 6 queries more, once;
    # every view checks in one query whether the rating's inputs changed since (a repair or
    # a withdrawal takes effect at once). Registration changes, commitments and
    # self-published information with its change log (issue 13) add four, each one query
    # whatever their number.
    with django_assert_max_num_queries(17):
        assert page_of(client, company).status_code == 200
    with django_assert_max_num_queries(13):
        assert page_of(client, company).status_code == 200


def _pdf_text(content: bytes, tmp_path: Path) -> str:
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(content)
    out = subprocess.run(  # noqa: S603
        [shutil.which("pdftotext"), "-enc", "UTF-8", str(pdf), "-"],
        capture_output=True,
        check=True,
    )
    return out.stdout.decode()


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils not installed")
def test_pdf_report_and_verification(client, scene, tmp_path):
    person = scene["person"]
    response = client.get(f"/subjects/{selectors.subject_ref(person)}/report.pdf")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    content = response.content
    report = IssuedReport.objects.get()
    assert report.sha256 == hashlib.sha256(content).hexdigest()
    text = _pdf_text(content, tmp_path)
    assert "李四" in text
    assert person.masked_identifier in text
    assert person.identifier not in text
    assert report.number in text
    assert f"/reports/{report.number}/" in text

    verify = client.get(f"/reports/{report.number}/")
    assert report.sha256 in verify.content.decode()
    same = client.post(f"/reports/{report.number}/", {"pdf": SimpleUploadedFile("r.pdf", content)})
    assert same.context["matches"] is True
    other = client.post(
        f"/reports/{report.number}/", {"pdf": SimpleUploadedFile("r.pdf", content + b"x")}
    )
    assert other.context["matches"] is False
    assert client.get("/reports/CR0000/").status_code == 404


def test_no_report_for_hidden_person(client, scene):
    assert client.get(f"/subjects/{scene['hidden'].identifier}/report.pdf").status_code == 404


def test_lists_and_list_detail(client, scene, court):
    secret = f.list_definition(court, name="内部名单", is_public=False)
    index = client.get("/lists/").content.decode()
    assert "失信被执行人名单" in index and "海关高级认证企业名单" in index
    assert "内部名单" not in index
    assert client.get(f"/lists/{secret.pk}/").status_code == 404
    detail = client.get(f"/lists/{scene['entry'].list_id}/")
    body = detail.content.decode()
    assert "拒不履行生效法律文书" in body  # criteria
    assert "《测试条例》" in body
    assert scene["person"].masked_identifier in body
    assert scene["person"].identifier not in body
    people = client.get(f"/lists/{scene['entry'].list_id}/", {"kind": "person"})
    assert [e.subject.name for e in people.context["entries"].entries] == ["李四"]


def test_list_entries_page_by_id(client, scene, monkeypatch):
    monkeypatch.setattr(selectors, "PAGE_SIZE", 1)
    first = client.get(f"/lists/{scene['entry'].list_id}/").context["entries"]
    assert len(first.entries) == 1 and first.next_before
    second = client.get(f"/lists/{scene['entry'].list_id}/", {"before": first.next_before})
    assert second.context["entries"].entries[0].pk < first.entries[0].pk


def test_memoranda(client, scene):
    memo = scene["memorandum"]
    assert (
        "关于对失信被执行人实施联合惩戒的合作备忘录" in client.get("/memoranda/").content.decode()
    )
    body = client.get(f"/memoranda/{memo.pk}/").content.decode()
    for text in [
        "民航局机关",
        "《民用航空安全保卫条例》",
        "失信被执行人名单",
        "《若干规定》第十一条",
    ]:
        assert text in body
    assert client.get("/memoranda/999999/").status_code == 404


def test_stats_counts_and_svg(client, scene):
    response = client.get("/stats/")
    stats = response.context["stats"]
    counts = {row["list__name"]: row["n"] for row in stats["per_list"]}
    assert counts == {"失信被执行人名单": 2, "海关高级认证企业名单": 1}
    assert stats["total"] == 3
    assert sum(m["n"] for m in stats["per_month"]) == 3
    assert "<svg" in response.content.decode()


def test_chinese_by_default_english_on_switch(client, scene):
    home = client.get("/").content.decode()
    assert "信用信息查询" in home and 'lang="zh-CN"' in home
    assert 'name="language" value="en"' in home
    switched = client.post("/i18n/setlang/", {"language": "en", "next": "/lists/"})
    assert switched.status_code == 302
    english = client.get("/lists/").content.decode()
    assert "Public lists" in english and "Judgment defaulters" in english
    assert 'lang="en"' in english


def _po_entries(path: Path):
    """(msgid, [msgstr…], fuzzy) per entry, continuation lines joined."""
    text = path.read_text(encoding="utf-8")
    for block in text.split("\n\n")[1:]:
        fields: dict[str, str] = {}
        key = None
        for line in block.splitlines():
            match = re.match(r'^(msgid|msgid_plural|msgstr(?:\[\d\])?) "(.*)"$', line)
            if match:
                key = match.group(1)
                fields[key] = match.group(2)
            elif line.startswith('"') and key:
                fields[key] += line[1:-1]
        strs = [v for k, v in fields.items() if k.startswith("msgstr")]
        if fields.get("msgid"):
            yield fields["msgid"], strs, "#, fuzzy" in block


@pytest.mark.parametrize("language", ["zh_Hans", "en"])
def test_every_portal_string_is_translated_and_compiled(language):
    po = Path(settings.BASE_DIR) / "locale" / language / "LC_MESSAGES" / "django.po"
    entries = list(_po_entries(po))
    assert len(entries) > 100
    untranslated = [m for m, strs, fuzzy in entries if fuzzy or not all(strs)]
    assert untranslated == []
    catalogue = gettext.GNUTranslations(po.with_suffix(".mo").open("rb"))
    stale = [m for m, strs, _fuzzy in entries if "%" not in m and catalogue.gettext(m) != strs[0]]
    assert stale == [], "run manage.py compilemessages"


@pytest.mark.django_db
def test_unknown_page_is_a_portal_404_in_chinese(client, settings):
    settings.DEBUG = False
    response = client.get("/subjects/91350100M000100Y43/", HTTP_ACCEPT_LANGUAGE="zh-CN")
    assert response.status_code == 404
    assert "此地址没有公开信息" in response.content.decode()
