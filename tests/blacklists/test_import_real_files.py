"""Issue 8: import files as Chinese offices save them (encodings, date spellings, Excel
numbers, Chinese headers), every bad row and field in one pass, templates, and the API."""

from __future__ import annotations

import csv
import datetime
import io

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation

from blacklists.importing import CHINESE_HEADERS, COLUMNS, import_list_entries, parse_date
from blacklists.models import ListEntry
from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def subjects(db):
    return [f.subject("enterprise", name="潤業信（深圳）化工集團有限公司"), f.subject("enterprise")]


def row(definition, subject, n, **over) -> dict:
    values = {
        "list": definition.key,
        "subject_identifier": subject.identifier,
        "ground": "G1",
        "tier": "serious",
        "duration_months": 12,
        "decision_number": f"（2026）浙01执{n}号",
        "decision_date": "2026-01-05",
        "decision_issuer": "杭州市中级人民法院",
        "facts": "有履行能力而拒不履行。",
    }
    values.update(over)
    return values


def as_csv(rows, *, encoding="utf-8", bom=False, headers=None) -> bytes:
    out = io.StringIO()
    header_row = [headers.get(c, c) for c in COLUMNS] if headers else COLUMNS
    writer = csv.writer(out)
    writer.writerow(header_row)
    for values in rows:
        writer.writerow([values[c] for c in COLUMNS])
    text = out.getvalue()
    return (("\ufeff" if bom else "") + text).encode(encoding)


@pytest.mark.parametrize(
    "encoding,bom", [("gbk", False), ("gb18030", False), ("utf-8", True), ("utf-8", False)]
)
def test_encodings_as_excel_saves_them(court_list, subjects, alice, encoding, bom):
    rows = [
        row(court_list, s, i, facts="拒不履行生效判决,情节严重。") for i, s in enumerate(subjects)
    ]
    content = as_csv(rows, encoding=encoding, bom=bom, headers=CHINESE_HEADERS)
    if encoding == "gbk":
        with pytest.raises(UnicodeDecodeError):
            content.decode("utf-8")
    result = import_list_entries(actor=alice, content=content, filename="名单.csv", dry_run=False)
    assert result.errors == [] and result.rows == 2
    facts = set(ListEntry.objects.filter(pk__in=result.created_ids).values_list("facts", flat=True))
    assert facts == {"拒不履行生效判决,情节严重。"}


@pytest.mark.parametrize(
    "spelling",
    [
        "2026-10-20",
        "2026/10/20",
        "2026.10.20",
        "2026年10月20日",
        "20261020",
        "２０２６年１０月２０日",
    ],
)
def test_each_date_spelling(spelling):
    assert parse_date(spelling) == datetime.date(2026, 10, 20)


def test_date_spellings_in_a_file_and_an_xlsx_date_cell(court_list, subjects, alice):
    rows = [
        row(court_list, subjects[0], 1, decision_date="2026/01/05"),
        row(court_list, subjects[1], 2, decision_date="2026年1月6日"),
    ]
    result = import_list_entries(
        actor=alice, content=as_csv(rows, encoding="gbk"), filename="a.csv", dry_run=False
    )
    assert result.errors == []
    dates = sorted(
        ListEntry.objects.filter(pk__in=result.created_ids).values_list("decision_date", flat=True)
    )
    assert dates == [datetime.date(2026, 1, 5), datetime.date(2026, 1, 6)]
    book = openpyxl.Workbook()
    book.active.append(COLUMNS)
    values = row(court_list, subjects[0], 3, decision_date=datetime.datetime(2026, 2, 1))
    book.active.append([values[c] for c in COLUMNS])
    out = io.BytesIO()
    book.save(out)
    xlsx = import_list_entries(actor=alice, content=out.getvalue(), filename="a.xlsx", dry_run=True)
    assert xlsx.errors == [] and xlsx.rows == 1


@translation.override("en")
def test_excel_mangled_identifier_is_explained(court_list, subjects, alice):
    book = openpyxl.Workbook()
    book.active.append(COLUMNS)
    values = row(court_list, subjects[0], 1, subject_identifier=110105196603150017)  # number cell
    book.active.append([values[c] for c in COLUMNS])
    out = io.BytesIO()
    book.save(out)
    result = import_list_entries(
        actor=alice, content=out.getvalue(), filename="a.xlsx", dry_run=False
    )
    [error] = result.errors
    assert error.row == 2 and error.field == "subject_identifier"
    assert "spreadsheet" in error.message and "should be" not in error.message
    csv_result = import_list_entries(
        actor=alice,
        content=as_csv([row(court_list, subjects[0], 2, subject_identifier="1.10105E+17")]),
        filename="a.csv",
        dry_run=False,
    )
    assert "spreadsheet" in csv_result.errors[0].message


def test_three_kinds_of_error_in_one_pass_with_headers_as_written(court_list, subjects, alice):
    rows = [
        row(court_list, subjects[0], 1, decision_date="2026年13月40日"),  # bad date
        row(court_list, subjects[1], 2, ground="G9"),  # not a ground of the list
        row(court_list, subjects[0], 3, subject_identifier="1.10105E+17"),  # Excel number
        row(court_list, subjects[1], 4),  # good
    ]
    content = as_csv(rows, encoding="gbk", headers=CHINESE_HEADERS)
    result = import_list_entries(actor=alice, content=content, filename="a.csv", dry_run=False)
    got = [(e.row, e.field, e.column) for e in result.errors]
    assert got == [
        (2, "decision_date", "决定日期"),
        (3, "ground", "列入事由代码"),
        (4, "subject_identifier", "主体标识码"),
    ]
    assert result.created_ids == [] and not ListEntry.objects.exists()


TEMPLATE = "/api/v1/list-entries/import/template"


def test_templates_for_agency_systems_hold_a_valid_example(court_api, court_list, subjects):
    response = court_api.get(f"{TEMPLATE}.csv")
    assert response.status_code == 200
    lines = response.content.decode("utf-8-sig").splitlines()
    assert lines[0].split(",") == COLUMNS and court_list.key in lines[1]
    upload = SimpleUploadedFile("template.csv", response.content)
    checked = court_api.post(
        "/api/v1/list-entries/import/", {"file": upload, "dry_run": "true"}, format="multipart"
    )
    assert checked.status_code == 200, checked.json()
    assert checked.json()["rows"] == 1 and checked.json()["errors"] == []
    xlsx = court_api.get(f"{TEMPLATE}.xlsx")
    book = openpyxl.load_workbook(io.BytesIO(xlsx.content))
    assert [c.value for c in book["entries"][1]] == COLUMNS
    valid = {
        (r[0], r[1], r[2]) for r in book["valid values"].iter_rows(min_row=2, values_only=True)
    }
    assert (court_list.key, "ground", "G1") in valid
    assert court_api.get(f"{TEMPLATE}.pdf").status_code == 404


def test_api_import_all_or_nothing(court_api, court_list, subjects):
    good = as_csv([row(court_list, s, i) for i, s in enumerate(subjects)], encoding="gbk")
    bad = as_csv(
        [row(court_list, subjects[0], 1), row(court_list, subjects[1], 2, decision_date="昨天")]
    )
    refused = court_api.post(
        "/api/v1/list-entries/import/",
        {"file": SimpleUploadedFile("b.csv", bad)},
        format="multipart",
    )
    assert refused.status_code == 400
    assert refused.json()["created"] == []
    assert refused.json()["errors"] == [
        {
            "row": 3,
            "field": "decision_date",
            "column": "decision_date",
            "message": refused.json()["errors"][0]["message"],
        }
    ]
    assert "2026年10月20日" in refused.json()["errors"][0]["message"]
    assert not ListEntry.objects.exists()
    dry = court_api.post(
        "/api/v1/list-entries/import/",
        {"file": SimpleUploadedFile("g.csv", good), "dry_run": "true"},
        format="multipart",
    )
    assert dry.status_code == 200 and dry.json()["created"] == [] and not ListEntry.objects.exists()
    done = court_api.post(
        "/api/v1/list-entries/import/",
        {"file": SimpleUploadedFile("g.csv", good)},
        format="multipart",
    )
    assert done.status_code == 200 and len(done.json()["created"]) == 2


def test_admin_offers_the_templates(client, court_list, alice):
    client.force_login(alice)
    csv_file = client.get("/admin/blacklists/listentry/import/template.csv")
    assert csv_file.status_code == 200 and court_list.key in csv_file.content.decode("utf-8-sig")
    assert client.get("/admin/blacklists/listentry/import/template.xlsx").status_code == 200
    page = client.get("/admin/blacklists/listentry/import/").content.decode()
    assert "template.xlsx" in page


def test_fifteen_digit_id_in_a_file_is_upgraded_and_said(court_api, court):
    definition = f.list_definition(court, key="persons", subject_kinds=["natural_person"])
    person = f.subject("natural_person", name="老证件")
    cut = person.identifier[:6] + person.identifier[8:17]
    content = as_csv([row(definition, person, 1, subject_identifier=cut)])
    response = court_api.post(
        "/api/v1/list-entries/import/",
        {"file": SimpleUploadedFile("p.csv", content)},
        format="multipart",
    )
    assert response.status_code == 200, response.json()
    [note] = response.json()["notes"]
    assert note["row"] == 2 and note["field"] == "subject_identifier"
    assert ListEntry.objects.get().subject == person
