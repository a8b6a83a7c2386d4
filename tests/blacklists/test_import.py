"""Bulk import of list entries from CSV and XLSX: all rows or none, bad rows named by row
number and field, dry runs commit nothing; and the admin page that drives it."""

from __future__ import annotations

import csv
import datetime
import io

import openpyxl
import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation

from blacklists.importing import COLUMNS, import_entries
from blacklists.models import EntryState, ListEntry
from tests import factories as f

pytestmark = pytest.mark.django_db


def row(definition, subject, **over) -> dict:
    values = {
        "list": definition.key,
        "subject_identifier": subject.identifier,
        "ground": "G1",
        "tier": "serious",
        "duration_months": 12,
        "decision_number": f"（2026）浙01执{subject.pk}号",
        "decision_date": "2026-01-05",
        "decision_issuer": "杭州市中级人民法院",
        "facts": "有履行能力而拒不履行。",
    }
    values.update(over)
    return values


def as_csv(rows: list[dict], columns=COLUMNS) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    return ("\ufeff" + out.getvalue()).encode("utf-8")  # Excel writes a BOM


def as_xlsx(rows: list[dict]) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(COLUMNS)
    for values in rows:
        cells = []
        for column in COLUMNS:
            value = values[column]
            if column == "decision_date":
                value = datetime.datetime.fromisoformat(value)  # a real date cell
            cells.append(value)
        sheet.append(cells)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@pytest.fixture
def subjects(db):
    return [f.subject("enterprise"), f.subject("enterprise"), f.subject("natural_person")]


def test_good_csv_commits_every_row_as_drafts(court_list, subjects, alice):
    content = as_csv([row(court_list, s) for s in subjects])
    result = import_entries(actor=alice, content=content, filename="batch.csv", dry_run=False)
    assert (result.rows, result.errors, result.committed) == (3, [], True)
    entries = ListEntry.objects.filter(pk__in=result.created_ids)
    assert entries.count() == 3
    assert {e.subject_id for e in entries} == {s.pk for s in subjects}
    assert {(e.state, e.created_by_id, e.duration_months) for e in entries} == {
        (EntryState.DRAFT, alice.pk, 12)
    }
    first = entries.get(subject=subjects[0])
    reason = first.events.select_related("pgh_context").get().pgh_context.metadata["reason"]
    assert reason == "bulk import batch.csv row 2"


def test_good_xlsx_commits_every_row(court_list, subjects, alice):
    content = as_xlsx([row(court_list, s) for s in subjects])
    result = import_entries(actor=alice, content=content, filename="批量.XLSX", dry_run=False)
    assert result.errors == []
    assert result.committed
    entries = ListEntry.objects.filter(list=court_list)
    assert entries.count() == 3
    assert {e.decision_date for e in entries} == {datetime.date(2026, 1, 5)}
    assert {e.duration_months for e in entries} == {12}


def test_one_bad_row_commits_nothing_and_names_row_and_field(court_list, subjects, alice):
    rows = [
        row(court_list, subjects[0]),
        row(court_list, subjects[1], duration_months=48),  # serious: 6-36 months
        row(court_list, subjects[2]),
    ]
    result = import_entries(actor=alice, content=as_csv(rows), filename="b.csv", dry_run=False)
    assert not result.committed
    assert [(e.row, e.field) for e in result.errors] == [(3, "duration_months")]
    assert "6–36" in result.errors[0].message  # the tier and its range, in the caller's language
    assert str(result.errors[0]).startswith("row 3, duration_months:")
    assert result.created_ids == []
    assert not ListEntry.objects.exists()


def test_bad_xlsx_row_commits_nothing(court_list, subjects, alice):
    rows = [row(court_list, subjects[0]), row(court_list, subjects[1], ground="G9")]
    result = import_entries(actor=alice, content=as_xlsx(rows), filename="b.xlsx", dry_run=False)
    assert [(e.row, e.field) for e in result.errors] == [(3, "ground")]
    assert not ListEntry.objects.exists()


def test_every_bad_row_is_reported(court_list, subjects, alice):
    rows = [
        row(court_list, subjects[0], subject_identifier="91330100MA27XXXXX0"),
        row(court_list, subjects[1], decision_date="05/01/2026"),
        row(court_list, subjects[2], tier="mild"),
        row(court_list, subjects[0], facts=""),
    ]
    result = import_entries(actor=alice, content=as_csv(rows), filename="b.csv", dry_run=False)
    assert [(e.row, e.field) for e in result.errors] == [
        (2, "subject_identifier"),
        (3, "decision_date"),
        (4, "tier"),
        (5, "facts"),
    ]
    assert not ListEntry.objects.exists()


def test_subject_kind_refused_by_the_list_names_the_subject(court, subjects, alice):
    companies_only = f.list_definition(court, subject_kinds=["enterprise"])
    rows = [row(companies_only, s) for s in subjects]
    result = import_entries(actor=alice, content=as_csv(rows), filename="b.csv", dry_run=False)
    assert [(e.row, e.field) for e in result.errors] == [(4, "subject_identifier")]
    assert not ListEntry.objects.exists()


def test_the_same_decision_twice_in_one_file(court_list, subjects, alice):
    rows = [row(court_list, subjects[0]), row(court_list, subjects[0])]
    with translation.override("zh-hans"):  # the clerk's language, whatever ran before
        result = import_entries(actor=alice, content=as_csv(rows), filename="b.csv", dry_run=False)
    assert [(e.row, e.field) for e in result.errors] == [(3, "decision_number")]
    assert result.errors[0].message == "该决定已将此主体列入本名单。"
    assert not ListEntry.objects.exists()


def test_another_agencys_list_is_refused_per_row(court_list, subjects, carol):
    result = import_entries(
        actor=carol,
        content=as_csv([row(court_list, subjects[0])]),
        filename="b.csv",
        dry_run=False,
    )
    assert [(e.row, e.field) for e in result.errors] == [(2, "list")]
    assert not ListEntry.objects.exists()


def test_dry_run_commits_nothing(court_list, subjects, alice):
    content = as_csv([row(court_list, s) for s in subjects])
    result = import_entries(actor=alice, content=content, filename="b.csv", dry_run=True)
    assert (result.rows, result.errors, result.created_ids) == (3, [], [])
    assert result.dry_run and not result.committed
    assert not ListEntry.objects.exists()


def test_dry_run_reports_bad_rows(court_list, subjects, alice):
    rows = [row(court_list, subjects[0]), row(court_list, subjects[1], ground="G9")]
    result = import_entries(actor=alice, content=as_csv(rows), filename="b.csv", dry_run=True)
    assert [(e.row, e.field) for e in result.errors] == [(3, "ground")]
    assert not ListEntry.objects.exists()


def test_duration_may_be_left_out_for_a_permanent_tier(court_list, subjects, alice):
    columns = [c for c in COLUMNS if c != "duration_months"]
    content = as_csv([row(court_list, subjects[0], tier="extremely_serious")], columns=columns)
    result = import_entries(actor=alice, content=content, filename="b.csv", dry_run=False)
    assert result.errors == []
    assert ListEntry.objects.get().duration_months is None


@translation.override("en")
def test_unreadable_files_are_refused_as_a_whole(court_list, subjects, alice):
    with pytest.raises(ValidationError) as exc:
        import_entries(actor=alice, content=b"x", filename="b.pdf", dry_run=False)
    assert "file" in exc.value.message_dict
    missing = as_csv([row(court_list, subjects[0])], columns=["list", "subject_identifier"])
    with pytest.raises(ValidationError) as exc:
        import_entries(actor=alice, content=missing, filename="b.csv", dry_run=False)
    assert "Missing columns" in exc.value.message_dict["file"][0]
    with pytest.raises(ValidationError) as exc:
        import_entries(actor=alice, content=b"not a zip", filename="b.xlsx", dry_run=False)
    assert "could not be read" in exc.value.message_dict["file"][0]


# --- the admin page ------------------------------------------------------------------------------

IMPORT_URL = "/admin/blacklists/listentry/import/"


def upload(client, content, name, dry_run=False):
    data = {"file": SimpleUploadedFile(name, content)}
    if dry_run:
        data["dry_run"] = "on"
    return client.post(IMPORT_URL, data)


def test_admin_import_page_shows_per_row_errors(client, court_list, subjects, alice):
    client.force_login(alice)
    assert client.get(IMPORT_URL).status_code == 200
    rows = [row(court_list, subjects[0]), row(court_list, subjects[1], duration_months=48)]
    response = upload(client, as_csv(rows), "batch.csv")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="import-errors"' in html
    assert "<td>3</td><td><code>duration_months</code></td>" in html
    assert "发现 1 个问题：未导入任何记录。" in html
    assert not ListEntry.objects.exists()


def test_admin_import_page_commits_a_good_file(client, court_list, subjects, alice):
    client.force_login(alice)
    response = upload(client, as_xlsx([row(court_list, s) for s in subjects]), "batch.xlsx")
    assert response.status_code == 200
    assert "已导入 3 条草稿记录。" in response.content.decode()
    assert ListEntry.objects.filter(list=court_list, state="draft").count() == 3


def test_admin_import_dry_run(client, court_list, subjects, alice):
    client.force_login(alice)
    response = upload(client, as_csv([row(court_list, subjects[0])]), "b.csv", dry_run=True)
    assert "检查通过：全部 1 行有效；未导入任何记录。" in response.content.decode()
    assert not ListEntry.objects.exists()


def test_admin_import_refuses_an_unreadable_file(client, alice):
    client.force_login(alice)
    response = upload(client, b"%PDF-1.4", "scan.pdf")
    assert "请上传 .csv 或 .xlsx 文件。" in response.content.decode()  # the clerk's language
    assert not ListEntry.objects.exists()


def test_admin_import_needs_staff_login(client, court_list, subjects):
    response = upload(client, as_csv([row(court_list, subjects[0])]), "b.csv")
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]
    assert not ListEntry.objects.exists()
