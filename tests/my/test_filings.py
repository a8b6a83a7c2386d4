"""Credit commitments and self-published information: signed in /my/, published on the
subject's page, outcomes recorded by agencies (a broken commitment becomes a record)."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from filings import services
from filings.models import CommitmentType, CreditCommitment, SelfPublishedChange
from registry import services as registry_services
from registry.models import CatalogueItem, CreditRecord
from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def general_type(db):
    return CommitmentType.objects.create(
        code="general",
        purpose="general",
        name="市场主体信用承诺书",
        text="本单位承诺依法诚信经营，如有违背愿意承担相应法律责任。",
        legal_basis="国办发〔2019〕35号",
        breach_consequence="记入信用记录，三年内不得适用告知承诺制。",
    )


@pytest.fixture
def breach_item(ndrc_like):
    return CatalogueItem.objects.create(
        code="N-006", name="违背信用承诺记录", category="negative", visibility="public",
        record_type="credit_commitment", supplying_agency=ndrc_like,
        legal_basis="国办发〔2019〕35号", publicity_months=36,
    )  # fmt: skip


@pytest.fixture
def ndrc_like(customs):
    return customs


def test_sign_publish_and_break_a_commitment(
    my_client, company_account, scene, general_type, breach_item, carol, client
):
    client_my = my_client(company_account)
    page = client_my.get("/my/commitments/")
    assert page.status_code == 200
    refused = client_my.post("/my/commitments/", {"commitment_type": general_type.pk})
    assert refused.status_code == 200 and refused.context["form"].errors["agree"]
    signed = client_my.post("/my/commitments/", {"commitment_type": general_type.pk, "agree": "on"})
    assert signed.status_code == 302
    commitment = CreditCommitment.objects.get(subject=scene["company"])
    assert commitment.text == general_type.text and commitment.signed_by.startswith("account:")
    public = client.get(f"/subjects/{scene['company'].identifier}/").content.decode()
    assert "市场主体信用承诺书" in public and "已签署" in public

    # Customs relied on it and found it broken: a negative record with the consequence.
    services.commitment_record_outcome(
        actor=carol, commitment=commitment, honoured=False, note="未按期提交材料。"
    )
    commitment.refresh_from_db()
    assert commitment.status == "broken" and commitment.outcome_agency == carol.agency
    record = commitment.breach_record
    assert record.agency == carol.agency and record.catalogue_item == breach_item
    assert "三年内不得适用告知承诺制" in record.content and "未按期提交材料" in record.content
    # A negative record waits for a reviewer of the same agency other than its maker
    # (registry.credit_records, issue 12) before it is published.
    assert record.status == CreditRecord.Status.PENDING
    public = client.get(f"/subjects/{scene['company'].identifier}/").content.decode()
    assert "已违背" in public and "违背信用承诺：" not in public
    reviewer = f.user("customs-reviewer", carol.agency, "reviewer")
    registry_services.credit_record_confirm(actor=reviewer, record=record)
    public = client.get(f"/subjects/{scene['company'].identifier}/").content.decode()
    assert "已违背" in public and "违背信用承诺：" in public
    with pytest.raises(ValidationError):
        services.commitment_record_outcome(
            actor=carol, commitment=commitment, honoured=True, note="再次记录"
        )
    assert "已违背" in client_my.get("/my/").content.decode()


def test_honoured_commitment_writes_no_record(company, general_type, carol):
    commitment = services.commitment_sign(
        subject=company, commitment_type=general_type, signed_by="窗口"
    )
    services.commitment_record_outcome(
        actor=carol, commitment=commitment, honoured=True, note="按期履行。"
    )
    assert not CreditRecord.objects.filter(subject=company).exists()


def test_outcome_needs_agency_staff_and_a_note(company, general_type, carol, django_user_model):
    commitment = services.commitment_sign(
        subject=company, commitment_type=general_type, signed_by="窗口"
    )
    operator = django_user_model.objects.create_superuser("root", "r@example.cn", "x")
    with pytest.raises(PermissionDenied):
        services.commitment_record_outcome(
            actor=operator, commitment=commitment, honoured=True, note="x"
        )
    with pytest.raises(ValidationError):
        services.commitment_record_outcome(
            actor=carol, commitment=commitment, honoured=True, note=" "
        )


def test_withdrawn_type_cannot_be_signed(company, general_type):
    general_type.is_active = False
    general_type.save()
    with pytest.raises(ValidationError):
        services.commitment_sign(subject=company, commitment_type=general_type, signed_by="x")


def test_self_published_information_is_logged_and_shown(my_client, company_account, scene, client):
    client_my = my_client(company_account)
    data = {
        "contact_phone": "0571-88886666",
        "contact_email": "info@hengxin.example",
        "employees": "120",
        "operating_status": "operating",
        "website": "www.hengxin.example",
    }
    assert client_my.post("/my/self-info/", data).status_code == 302
    data.update(employees="135", operating_status="suspended")
    assert client_my.post("/my/self-info/", data).status_code == 302
    changes = SelfPublishedChange.objects.filter(info__subject=scene["company"])
    assert {c.field for c in changes if c.before} == {"employees", "operating_status"}
    public = client.get(f"/subjects/{scene['company'].identifier}/").content.decode()
    for text in ("主体自主公示信息", "0571-88886666", "https://www.hengxin.example", "135",
                 "歇业", "修改记录", "平台不作核实"):  # fmt: skip
        assert text in public, text


def test_self_info_bad_input_is_a_field_error(my_client, company_account):
    response = my_client(company_account).post(
        "/my/self-info/",
        {"employees": "-3", "operating_status": "bankrupt", "website": "javascript:alert(1)",
         "contact_email": "not-an-email"},
    )  # fmt: skip
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert {"employees", "operating_status", "website", "contact_email"} <= set(errors)


def test_natural_person_has_no_self_published_page(my_client, person_account):
    assert my_client(person_account).get("/my/self-info/").status_code == 404


def test_staff_record_an_outcome_in_the_admin(client, carol, company, general_type, breach_item):
    commitment = services.commitment_sign(
        subject=company, commitment_type=general_type, signed_by="窗口"
    )
    client.force_login(carol)
    url = f"/admin/filings/creditcommitment/{commitment.pk}/outcome/"
    assert client.get(url).status_code == 200
    response = client.post(url, {"honoured": "0", "note": "查实未履行。"})
    assert response.status_code == 302
    commitment.refresh_from_db()
    assert commitment.status == "broken" and commitment.breach_record_id
