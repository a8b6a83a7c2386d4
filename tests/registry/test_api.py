"""Registry API: search, read with masking, and registration by registration authorities."""

import pytest

from registry.models import FormerName, Subject
from tests import factories as f

pytestmark = pytest.mark.django_db


def test_unauthenticated_gets_401(anonymous):
    response = anonymous.get("/api/v1/subjects/")
    assert response.status_code == 401
    assert "detail" in response.json()


def test_bad_token_gets_401(anonymous):
    anonymous.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")
    assert anonymous.get("/api/v1/subjects/").status_code == 401


def test_search_by_name_former_name_and_identifier(caac_api, company):
    FormerName.objects.create(
        subject=company, name="杭州旧名贸易有限公司", valid_until="2020-01-01"
    )
    f.subject("enterprise", name="深圳市华锐达贸易有限责任公司")

    by_name = caac_api.get("/api/v1/subjects/", {"q": "恒信电子"}).json()["results"]
    assert [s["identifier"] for s in by_name] == [company.identifier]

    by_former = caac_api.get("/api/v1/subjects/", {"q": "旧名贸易"}).json()["results"]
    assert [s["identifier"] for s in by_former] == [company.identifier]

    # Lower case with full-width characters and spaces normalises to the code.
    fullwidth = "".join(chr(ord(c) + 0xFEE0) if c.isalnum() else c for c in company.identifier)
    by_code = caac_api.get("/api/v1/subjects/", {"q": f" {fullwidth.lower()} "}).json()
    assert [s["identifier"] for s in by_code["results"]] == [company.identifier]


def test_filter_by_kind_and_province(caac_api, company, person):
    f.subject("enterprise", name="北京某公司", division=f.division("110101"))
    results = caac_api.get("/api/v1/subjects/", {"kind": "enterprise", "division": "330000"}).json()
    names = {s["name"] for s in results["results"]}
    assert company.name in names
    assert "北京某公司" not in names
    bad = caac_api.get("/api/v1/subjects/", {"kind": "martian"})
    assert bad.status_code == 400
    assert "kind" in bad.json()["errors"]


def test_detail_masks_natural_person_unless_agency_may_see(customs_api, caac_api, company, person):
    f.role(company, person)
    masked = customs_api.get(f"/api/v1/subjects/{person.identifier}/").json()
    assert masked["identifier"] == person.identifier[:4] + "*" * 10 + person.identifier[-4:]
    org = customs_api.get(f"/api/v1/subjects/{company.identifier}/").json()
    assert org["identifier"] == company.identifier
    assert org["roles"][0]["holder_identifier"] == masked["identifier"]
    assert org["roles"][0]["role"] == "legal_representative"
    # CAAC matches passengers against IDs: its agency may see them.
    full = caac_api.get(f"/api/v1/subjects/{person.identifier}/").json()
    assert full["identifier"] == person.identifier


def test_masked_in_search_results_too(customs_api, person):
    results = customs_api.get("/api/v1/subjects/", {"kind": "natural_person"}).json()["results"]
    assert results and all("*" * 10 in s["identifier"] for s in results)


def test_unknown_subject_404(caac_api):
    assert caac_api.get(f"/api/v1/subjects/{f.uscc()}/").status_code == 404


def valid_payload(**overrides):
    payload = {
        "kind": "enterprise",
        "identifier": f.uscc(),
        "name": "杭州新登记科技有限公司",
        "division": "330100",
        "established_on": "2024-05-01",
        "former_names": [
            {"name": "杭州旧登记科技有限公司", "valid_from": None, "valid_until": "2025-01-01"}
        ],
        "roles": [
            {
                "role": "legal_representative",
                "holder_identifier": f.resident_id(),
                "holder_name": "李四",
                "started_on": "2024-05-01",
            }
        ],
    }
    payload.update(overrides)
    return payload


def test_registrar_creates_subject_with_roles(registrar_api, samr):
    payload = valid_payload()
    response = registrar_api.post("/api/v1/subjects/", payload, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["identifier"] == payload["identifier"]
    assert body["former_names"][0]["name"] == "杭州旧登记科技有限公司"
    assert body["roles"][0]["holder_name"] == "李四"
    subject = Subject.objects.get(identifier=payload["identifier"])
    assert subject.registration_authority == samr
    # The audit trail says who registered it.
    event = subject.events.get()
    assert event.pgh_context.metadata["username"] == registrar_api.user.username


def test_non_registrar_cannot_create(caac_api):
    response = caac_api.post("/api/v1/subjects/", valid_payload(), format="json")
    assert response.status_code == 403
    assert not Subject.objects.filter(name="杭州新登记科技有限公司").exists()


@pytest.mark.parametrize(
    "identifier, expected",
    [
        ("91350100M000100Y44", "check character should be 3"),
        ("91350100M000100Y4", "18 characters"),
        ("91350100M00010OY43", "not allowed"),
    ],
)
def test_bad_identifier_gets_field_error(registrar_api, identifier, expected):
    response = registrar_api.post(
        "/api/v1/subjects/",
        valid_payload(identifier=identifier),
        format="json",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert "identifier" in errors
    assert expected in errors["identifier"][0]


def test_natural_person_needs_resident_id(registrar_api):
    response = registrar_api.post(
        "/api/v1/subjects/",
        valid_payload(kind="natural_person", roles=[], former_names=[]),
        format="json",
        HTTP_ACCEPT_LANGUAGE="en",  # the API answers in the caller's language (zh by default)
    )
    assert response.status_code == 400
    assert "resident ID" in response.json()["errors"]["identifier"][0]


def test_nested_errors_name_the_field_and_nothing_is_half_saved(registrar_api):
    payload = valid_payload()
    payload["roles"][0]["holder_identifier"] = "110101199003070023"
    response = registrar_api.post("/api/v1/subjects/", payload, format="json")
    assert response.status_code == 400
    errors = response.json()["errors"]
    # The one error shape: a flat map from the field's path to a list of messages.
    assert list(errors) == ["roles.0.holder_identifier"]
    assert all(isinstance(m, str) for m in errors["roles.0.holder_identifier"])
    assert not Subject.objects.filter(identifier=payload["identifier"]).exists()


def test_duplicate_identifier_is_400(registrar_api, company):
    english = registrar_api.post(
        "/api/v1/subjects/",
        valid_payload(identifier=company.identifier),
        format="json",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert english.status_code == 400
    assert "registered" in english.json()["errors"]["identifier"][0]
    # Asked last without a language: the default (zh-Hans) is active again afterwards.
    response = registrar_api.post(
        "/api/v1/subjects/", valid_payload(identifier=company.identifier), format="json"
    )
    assert response.status_code == 400
    assert response.json()["errors"]["identifier"][0] == "已有以该代码登记的主体。"


def test_idempotency_key_replays_first_response(registrar_api):
    payload = valid_payload()
    first = registrar_api.post(
        "/api/v1/subjects/", payload, format="json", HTTP_IDEMPOTENCY_KEY="reg-1"
    )
    again = registrar_api.post(
        "/api/v1/subjects/", payload, format="json", HTTP_IDEMPOTENCY_KEY="reg-1"
    )
    assert first.status_code == again.status_code == 201
    assert again["Idempotent-Replayed"] == "true"
    assert first.json() == again.json()
    assert Subject.objects.filter(identifier=payload["identifier"]).count() == 1
    other = registrar_api.post(
        "/api/v1/subjects/", valid_payload(), format="json", HTTP_IDEMPOTENCY_KEY="reg-1"
    )
    assert other.status_code == 422


def test_openapi_schema_and_docs(caac_api, client):
    schema = client.get("/api/schema/")
    assert schema.status_code == 200
    text = schema.content.decode()
    for path in ["/api/v1/subjects/", "/api/v1/sanctions/feed/", "/api/v1/screenings/"]:
        assert path in text
    assert client.get("/api/docs/").status_code == 200


def test_schema_states_token_auth_and_page_size_bounds(client):
    schema = client.get("/api/schema/?format=json").json()
    assert schema["components"]["securitySchemes"] == {
        "tokenAuth": {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "`Token <key>`, as printed by `manage.py issue_token`.",
        }
    }
    operation = schema["paths"]["/api/v1/subjects/"]["get"]
    assert operation["security"] == [{"tokenAuth": []}]
    page_size = next(p for p in operation["parameters"] if p["name"] == "page_size")
    assert page_size["schema"] == {"type": "integer", "minimum": 1, "maximum": 500}


def test_page_size_outside_its_documented_bounds_is_400(caac_api):
    for value in ("0", "501", "x"):
        response = caac_api.get(f"/api/v1/subjects/?page_size={value}")
        assert response.status_code == 400
        assert response.json()["errors"] == {"page_size": ["须为 1 至 500 的整数。"]}
