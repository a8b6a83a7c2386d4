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
    "/subjects/{}/special-report/",
    "/subjects/{}/special-report/?period_from={}&period_to=",
    "/my/activate/{}/",
    "/my/?next={}",
    "/my/sign-in/?next={}",
    "/my/entries/{}/objection/",
]


@pytest.mark.django_db
@pytest.mark.parametrize("template", API_URLS + PORTAL_URLS)
def test_get_with_bad_values_never_500(template, caac_api, client):
    http = caac_api if template.startswith("/api/") else client
    for value in BAD:
        response = http.get(template.replace("{}", value))
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


# --- issue 10: limits on bodies, dates, text; control characters; spreadsheet cells ------------

POST_URLS = [
    ("/api/v1/screenings/", "caac_api"),
    ("/api/v1/subjects/", "registrar_api"),
    ("/api/v1/list-entries/", "caac_api"),
]


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


@pytest.mark.django_db
@pytest.mark.parametrize(("url", "caller"), POST_URLS)
def test_json_nested_1000_deep_or_too_large_is_400_in_the_error_shape(
    url, caller, request, settings
):
    http = request.getfixturevalue(caller)
    deep = http.post(url, nested(1000), content_type="application/json")
    assert deep.status_code == 400, (url, deep.status_code)
    assert "嵌套" in deep.json()["detail"]  # "nested", in the platform's default language
    recursion = http.post(url, nested(200_000), content_type="application/json")
    assert recursion.status_code == 400
    big = '{"identifiers": ["' + "x" * settings.API_MAX_JSON_BYTES + '"]}'
    too_large = http.post(url, big, content_type="application/json")
    assert too_large.status_code == 400 and "超过" in too_large.json()["detail"]


@pytest.mark.django_db
def test_json_within_the_depth_limit_is_accepted(caac_api, settings):
    ok = {"identifiers": ["91330100MA2H3UXX1X"]}
    assert caac_api.post("/api/v1/screenings/", ok, format="json").status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("decision_date", "field_error"),
    [("0001-01-01", True), ("1948-12-31", True), ("2999-01-01", True), ("1949-10-01", False)],
)
def test_decision_dates_must_be_plausible(court, company, decision_date, field_error):
    from tests import factories as f
    from tests.blacklists.test_api import ENTRIES, body
    from tests.conftest import api_client_for

    court_api = api_client_for(court, "clerk", "court-api-clerk")
    definition = f.list_definition(court)
    response = court_api.post(ENTRIES, body(definition, company, decision_date=decision_date))
    if field_error:
        assert response.status_code == 400
        assert set(response.json()["errors"]) == {"decision_date"}
    else:
        assert response.status_code == 201


@pytest.mark.django_db
def test_free_text_has_a_length_limit(court, company):
    from registry.validators import FACTS_MAX_CHARS
    from tests import factories as f
    from tests.blacklists.test_api import ENTRIES, body
    from tests.conftest import api_client_for

    court_api = api_client_for(court, "clerk", "court-api-clerk")
    definition = f.list_definition(court)
    long = court_api.post(ENTRIES, body(definition, company, facts="事" * (FACTS_MAX_CHARS + 1)))
    assert long.status_code == 400 and set(long.json()["errors"]) == {"facts"}
    at_limit = court_api.post(ENTRIES, body(definition, company, facts="事" * FACTS_MAX_CHARS))
    assert at_limit.status_code == 201


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path",
    [
        "/admin/blacklists/listentry/?q=%00",
        "/admin/blacklists/listentry/?state=%00",
        "/admin/registry/subject/?q=a%01b",
        "/admin/blacklists/objection/?status__exact=pending%00",
    ],
)
def test_control_characters_in_admin_parameters_are_a_friendly_400(client, bob, path):
    client.force_login(bob)
    response = client.get(path)
    assert response.status_code == 400
    assert "无法处理的字符" in response.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path",
    ["/track/?number=%00", "/lists/1/?ground=%00", "/search/?q=%E6%81%92%00", "/%00/"],
)
def test_control_characters_on_the_portal_are_a_friendly_400(client, path):
    response = client.get(path)
    assert response.status_code == 400
    assert "无法处理的字符" in response.content.decode()


@pytest.mark.django_db
def test_control_characters_in_a_portal_form_post_are_400(client):
    response = client.post("/objections/new/?entry=1", {"filed_by_name": "张\x00三"})
    assert response.status_code == 400


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path",
    [
        "/track/?number=OB 2026",
        "/track/?number=ＯＢ２０２６",
        "/track/?number=%E3%80%80",
        "/lists/1/?ground=Ｇ１",
    ],
)
def test_spaces_and_full_width_on_the_portal_never_500(client, path):
    assert client.get(path).status_code < 500


@pytest.mark.parametrize(
    ("cell", "written"),
    [
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("+86 571", "'+86 571"),
        ("-1+2", "'-1+2"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("＝1+1", "'＝1+1"),
        ("杭州恒信", "杭州恒信"),
        (-5, -5),
        (None, None),
    ],
)
def test_spreadsheet_cells_are_neutralised(cell, written):
    from scs.spreadsheets import neutralise

    assert neutralise(cell) == written


def test_csv_export_helper_neutralises_every_cell():
    import csv
    import io

    from scs.spreadsheets import csv_bytes

    data = csv_bytes(["名称", "=cmd"], [["=1+1", "ok"], ["@x", 3]]).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(data)))
    assert rows == [["名称", "'=cmd"], ["'=1+1", "ok"], ["'@x", "3"]]


@pytest.mark.django_db
@pytest.mark.parametrize("value", ["", "0", "-1", "abc", "501", "１０", "1.5"])
def test_a_bad_page_size_is_400_naming_it(caac_api, value):
    for url in ("/api/v1/subjects/", "/api/v1/list-entries/", "/api/v1/lists/"):
        response = caac_api.get(url, {"page_size": value})
        assert response.status_code == 400, (url, value)
        assert set(response.json()["errors"]) == {"page_size"}


@pytest.mark.django_db
def test_a_good_page_size_is_honoured(caac_api):
    assert caac_api.get("/api/v1/lists/", {"page_size": "2"}).status_code == 200
