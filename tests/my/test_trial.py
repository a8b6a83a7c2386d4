"""Faults found by trying the subject's window as a new user would (issue 13 trial)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.my.conftest import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "target", ["/my/../admin/", "/my/%2e%2e/admin/", "/my/..%2fadmin/", "/my/\\\\evil.example"]
)
def test_next_with_dot_segments_never_leaves_the_window(client, company_account, target):
    """`next=/my/../admin/` starts with /my/ but a browser resolves it to /admin/: after
    sign-in the subject landed outside its window (the same trick reaches any path)."""
    response = client.post(
        reverse("my:sign-in"),
        {"email": company_account.email, "password": PASSWORD, "next": target},
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("my:home")


def test_next_inside_the_window_is_kept(client, company_account):
    response = client.post(
        reverse("my:sign-in"),
        {"email": company_account.email, "password": PASSWORD, "next": "/my/consents/"},
    )
    assert response["Location"] == "/my/consents/"


def test_inviting_tells_no_holder_which_addresses_have_accounts_elsewhere(
    my_client, company_account, stranger_account, mailoutbox, django_capture_on_commit_callbacks
):
    """A company's account holder typed another subject's address into "invite a colleague"
    and read 该电子邮箱已有账号: the form told anyone with an account which e-mail addresses
    hold accounts on the platform (for a natural person, that they have a credit file). It
    now answers as for any invitation; the address's owner is told by e-mail instead, and no
    invitation exists."""
    from my.models import Invitation

    client = my_client(company_account)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/my/colleagues/", {"email": "SOMEONE@wuguan.example"})
    assert response.status_code == 200
    assert response.context["sent"] == "someone@wuguan.example"
    assert not response.context["form"].errors
    assert not Invitation.objects.filter(invited_by=company_account).exists()
    assert len(mailoutbox) == 1 and mailoutbox[0].to == ["someone@wuguan.example"]
    assert "/my/activate/" not in mailoutbox[0].body


def test_inviting_a_present_colleague_says_so(my_client, company_account):
    """An address that already holds an account of the same subject: the holder may know."""
    response = my_client(company_account).post("/my/colleagues/", {"email": company_account.email})
    assert response.context["form"].errors["email"]


def test_full_width_input_from_a_chinese_input_method(client, my_client, company_account):
    """Typed in full-width mode: the sign-in said 请输入合法的邮件地址, the self-published
    contact e-mail was refused the same way, and a full-width telephone number was published
    as typed (０７３６－１２３４５６７)."""
    typed = "ｈｏｌｄｅｒ＠ｈｅｎｇｘｉｎ．ｅｘａｍｐｌｅ"
    response = client.post(reverse("my:sign-in"), {"email": typed, "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == reverse("my:home")

    response = my_client(company_account).post(
        reverse("my:self-info"),
        {
            "contact_phone": "０７３６－１２３４５６７",
            "contact_email": "ＩＮＦＯ＠ｅｘａｍｐｌｅ．ｃｎ",
            "employees": "１２",
            "operating_status": "operating",
            "website": "",
        },
    )
    assert response.status_code == 302, response.context["form"].errors
    from filings import selectors as filing_selectors

    info = filing_selectors.self_info_of(company_account.subject)
    assert info.contact_phone == "0736-1234567"
    assert info.contact_email.lower() == "info@example.cn"


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_sign_in_outside_a_test_transaction(client, company_account):
    """As served (autocommit, no surrounding transaction): the sign-in locks the account row
    and so needs its own transaction; a misplaced decorator once answered every sign-in 500."""
    response = client.post(
        reverse("my:sign-in"), {"email": company_account.email, "password": PASSWORD}
    )
    assert response.status_code == 302
    response = client.post(reverse("my:sign-in"), {"email": company_account.email, "password": "x"})
    assert response.status_code == 200


def test_disputes_on_a_phone_say_which_date_is_the_deadline(
    my_client, company_account, company_entry
):
    """On a phone the disputes table stacks into cards and hides its header: each card
    showed two bare dates (2026-12-01, 2026-12-22) and the subject could not tell the
    deadline from the filing date. The cells now carry their header as a label."""
    from blacklists import services as list_services

    list_services.objection_file(
        entry=company_entry,
        filed_by_name="杭州恒信电子科技有限公司",
        contact=company_account.email,
        disputed_facts="执行款已履行完毕。",
        verified_subject=True,
    )
    page = (
        my_client(company_account)
        .get(reverse("my:disputes"), HTTP_ACCEPT_LANGUAGE="en")
        .content.decode()
    )
    assert 'data-label="Filed"' in page
    assert 'data-label="Decision due by"' in page
