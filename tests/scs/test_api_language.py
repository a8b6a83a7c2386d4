"""The API answers refusals in the caller's language: Chinese by default and for
`Accept-Language: zh-hans`, English for `Accept-Language: en` (issue 11)."""

from __future__ import annotations

import pytest
from django.utils import translation

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _restore_language():
    yield
    translation.activate("zh-hans")  # LocaleMiddleware leaves the thread in the last language


def test_a_rating_refusal_reads_in_the_callers_language(caac_api):
    url = "/api/v1/subjects/not-a-code/rating/"
    zh = caac_api.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert zh.status_code == 404
    assert zh.json()["detail"] == "没有使用此代码的主体。"
    default = caac_api.get(url)  # no header: the platform's language
    assert default.json()["detail"] == "没有使用此代码的主体。"
    en = caac_api.get(url, HTTP_ACCEPT_LANGUAGE="en")
    assert en.json()["detail"] == "No subject with this identifier."


def test_a_file_without_a_purpose_is_refused_in_the_callers_language(caac_api, company):
    url = f"/api/v1/subjects/{company.identifier}/file/"
    zh = caac_api.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans").json()
    assert zh["errors"]["purpose"] == ["请说明查询目的：须为以下代码之一。"]
    assert zh["detail"] != "Invalid input."
    en = caac_api.get(url, HTTP_ACCEPT_LANGUAGE="en").json()
    assert en == {
        "detail": "Invalid input.",
        "errors": {"purpose": ["State the purpose of the consultation: one of these codes."]},
        "purposes": en["purposes"],
    }
    assert en["purposes"], "the refusal lists the valid purposes"


def test_a_hostile_bulk_body_is_refused_in_the_callers_language(registrar_api):
    # GBK bytes where UTF-8 JSON is expected (a legacy system's export).
    body = '[{"subject_identifier": "某某科技有限公司"}]'.encode("gbk")
    url = "/api/v1/credit-records/bulk/"
    zh = registrar_api.post(
        url, body, content_type="application/json", HTTP_ACCEPT_LANGUAGE="zh-hans"
    )
    assert zh.status_code == 400, zh.content
    assert "请求体须为 UTF-8 编码的 JSON 或 JSON Lines。" in str(zh.json())
    en = registrar_api.post(url, body, content_type="application/json", HTTP_ACCEPT_LANGUAGE="en")
    assert "The body must be UTF-8 JSON or JSON Lines." in str(en.json())
