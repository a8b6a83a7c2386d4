"""Hostile or malformed input anywhere public or agency-facing gets a 4xx, never a 500."""

import pytest

BAD = ["%", "'", "\x00", "a" * 5000, "１２３", "<script>", "-1", "9" * 30]
API_URLS = [
    "/api/v1/subjects/?q={}",
    "/api/v1/subjects/?division={}",
    "/api/v1/subjects/?kind={}",
    "/api/v1/subjects/?cursor={}",
    "/api/v1/subjects/{}/",
    "/api/v1/subjects/{}/restrictions/",
    "/api/v1/list-entries/?state={}",
    "/api/v1/list-entries/?list={}",
    "/api/v1/list-entries/{}/",
    "/api/v1/lists/?kind={}",
    "/api/v1/sanctions/feed/?after={}",
    "/api/v1/sanctions/feed/?limit={}",
]
PORTAL_URLS = [
    "/search/?q={}",
    "/subjects/{}/",
    "/lists/{}/",
    "/lists/?list={}",
    "/memoranda/{}/",
    "/track/{}/",
    "/reports/{}/",
    "/objections/new/?entry={}",
    "/repairs/new/?entry={}",
]


@pytest.mark.django_db
@pytest.mark.parametrize("template", API_URLS + PORTAL_URLS)
def test_get_with_bad_values_never_500(template, caac_api, client):
    http = caac_api if template.startswith("/api/") else client
    for value in BAD:
        response = http.get(template.format(value))
        assert response.status_code < 500, (template, value, response.status_code)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url, body",
    [
        ("/api/v1/screenings/", {"identifiers": "x"}),
        ("/api/v1/screenings/", {"identifiers": [None]}),
        ("/api/v1/screenings/", {"identifiers": [{"a": 1}]}),
        ("/api/v1/screenings/", []),
        ("/api/v1/subjects/", {}),
        ("/api/v1/subjects/", {"kind": "enterprise", "identifier": None, "roles": "x"}),
        ("/api/v1/subjects/", {"former_names": [{}]}),
        ("/api/v1/list-entries/", {}),
        ("/api/v1/list-entries/", {"list": None, "subject_identifier": 5}),
        ("/api/v1/list-entries/", []),
    ],
)
def test_post_with_malformed_bodies_is_400(url, body, registrar_api, caac_api):
    http = registrar_api if url == "/api/v1/subjects/" else caac_api
    response = http.post(url, body, format="json")
    assert response.status_code == 400, (url, body, response.status_code)
    assert "errors" in response.json()
