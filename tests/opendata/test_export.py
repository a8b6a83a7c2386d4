"""Open data: versions, manifest, delta with removal reasons, serving, privacy, and the
rebuild script of docs/OPEN_DATA.md run against real exports."""

from __future__ import annotations

import datetime
import hashlib
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from django.utils import timezone

from blacklists import services as lists
from opendata import export
from registry import identifiers
from registry.models import CatalogueItem, CreditRecord
from tests import factories as f
from tests.sanctions.conftest import publish

ROOT = Path(__file__).resolve().parents[2]
RID = re.compile(r"[0-9]{17}[0-9X]")


@pytest.fixture
def out(tmp_path, settings):
    settings.OPEN_DATA_ROOT = str(tmp_path / "open-data")
    return tmp_path / "open-data"


@pytest.fixture
def penalty_item(samr):
    return CatalogueItem.objects.create(
        code="XZCF",
        name="行政处罚",
        category="negative",
        visibility="public",
        record_type="administrative_penalty",
        supplying_agency=samr,
        legal_basis="《行政处罚法》第四十八条",
        publicity_months=36,
    )


def penalty(item, subject, agency, *, content="罚款人民币五万元", ends=None):
    return CreditRecord.objects.create(
        subject=subject,
        catalogue_item=item,
        agency=agency,
        decision_number=f"杭市监罚〔2026〕{subject.pk}号",
        decision_date=datetime.date(2026, 3, 1),
        title="虚假宣传",
        content=content,
        publicity_ends_on=ends or datetime.date(2029, 3, 1),
    )


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def version_dir(out: Path, manifest: dict) -> Path:
    return out / manifest["version"]


def test_export_writes_files_manifest_and_index(out, court_list, alice, bob, company, samr):
    entry = publish(court_list, company, alice, bob)
    call_command("export_open_data")
    index = json.loads((out / "index.json").read_text())
    assert index["latest"] and len(index["versions"]) == 1
    manifest = json.loads((out / index["latest"] / "manifest.json").read_text())
    assert manifest["previous"] is None
    for entry_file in manifest["files"] + [manifest["delta"]]:
        data = (out / index["latest"] / entry_file["name"]).read_bytes()
        assert hashlib.sha256(data).hexdigest() == entry_file["sha256"]
        assert len(data) == entry_file["bytes"]
    rows = {f["name"]: f["rows"] for f in manifest["files"]}
    assert rows["list_entries.jsonl"] == rows["list_entries.csv"] == 1
    assert rows["subjects.jsonl"] == 1 and rows["lists.jsonl"] == 1
    (line,) = read_jsonl(out / index["latest"] / "list_entries.jsonl")
    assert line["id"] == entry.pk and line["subject_identifier"] == company.identifier
    # First version: everything is an ADD.
    ops = read_jsonl(out / index["latest"] / "delta.jsonl")
    assert {op["op"] for op in ops} == {"ADD"}
    assert manifest["delta"]["counts"]["list_entries"] == {"ADD": 1, "MOD": 0, "DEL": 0}
    csv_text = (out / index["latest"] / "list_entries.csv").read_text(encoding="utf-8-sig")
    assert csv_text.splitlines()[0].startswith("id,list_id,list_key,subject_id")


def test_delta_carries_removals_with_reasons(out, court_list, alice, bob, samr, penalty_item):
    companies = [f.subject("enterprise", name=f"杭州第{i}测试有限公司") for i in range(4)]
    kept, repaired, revoked, edited = (publish(court_list, c, alice, bob) for c in companies)
    withdrawn_record = penalty(penalty_item, companies[0], samr)
    first = export.build_version(now=timezone.now() - datetime.timedelta(days=1))

    # Repaired after the minimum period, revoked by the owner, facts corrected, record deleted.
    from blacklists.models import ListEntry

    ListEntry.objects.filter(pk=repaired.pk).update(
        starts_on=datetime.date.today() - datetime.timedelta(days=200)
    )
    application = lists.repair_apply(
        entry=repaired,
        applicant_name="申请人",
        contact="a@example.invalid",
        conditions_met=["proof_of_correction", "credit_commitment"],
        statement="已履行",
    )
    lists.repair_decide(actor=bob, application=application, grant=True, reasons="条件齐备")
    lists.list_entry_revoke(actor=bob, entry=revoked, reason="法院裁定撤销")
    ListEntry.objects.filter(pk=edited.pk).update(facts="更正后的事实")
    withdrawn_pk = withdrawn_record.pk
    withdrawn_record.delete()
    added = penalty(penalty_item, companies[1], samr)

    second = export.build_version()
    assert second["previous"] == first["version"]
    ops = {
        (op["type"], op["id"]): op for op in read_jsonl(version_dir(out, second) / "delta.jsonl")
    }
    assert ops[("list_entries", repaired.pk)]["op"] == "DEL"
    assert ops[("list_entries", repaired.pk)]["reason"] == "repaired"
    assert ops[("list_entries", revoked.pk)]["reason"] == "revoked"
    assert ops[("list_entries", edited.pk)]["op"] == "MOD"
    assert ops[("list_entries", edited.pk)]["data"]["facts"] == "更正后的事实"
    assert ops[("double_publicity", withdrawn_pk)] == {
        "id": withdrawn_pk,
        "op": "DEL",
        "reason": "withdrawn",
        "type": "double_publicity",
    }
    assert ops[("double_publicity", added.pk)]["op"] == "ADD"
    # Subjects whose only entry ended leave the subjects dataset with that entry's reason.
    assert ops[("subjects", companies[1].pk)]["reason"] == "repaired"
    assert ("list_entries", kept.pk) not in ops
    assert second["delta"]["counts"]["list_entries"] == {"ADD": 0, "MOD": 1, "DEL": 2}


def test_rebuild_script_in_the_docs_reproduces_each_version(
    out, tmp_path, court_list, alice, bob, samr, penalty_item
):
    """The script in docs/OPEN_DATA.md rebuilds N from N-1 + delta with equal checksums."""
    doc = (ROOT / "docs" / "OPEN_DATA.md").read_text(encoding="utf-8")
    script = doc.split("<!-- apply-delta-script -->")[1].split("```python\n")[1].split("```")[0]
    (tmp_path / "apply_delta.py").write_text(script, encoding="utf-8")

    a, b, c = (f.subject("enterprise", name=n) for n in ("甲公司", "乙公司", "丙公司"))
    e1 = publish(court_list, a, alice, bob)
    publish(court_list, b, alice, bob)
    penalty(penalty_item, a, samr, content='＝HYPERLINK("http://x") 全角 =1+1 "引号", 逗号')
    v1 = export.build_version(now=timezone.now() - datetime.timedelta(hours=2))
    lists.list_entry_revoke(actor=bob, entry=e1, reason="撤销")
    publish(court_list, c, alice, bob)
    penalty(penalty_item, c, samr, content="第二条\n换行")
    v2 = export.build_version(now=timezone.now() - datetime.timedelta(hours=1))
    v3 = export.build_version()  # nothing changed: an empty delta

    empty = tmp_path / "empty"
    empty.mkdir()
    for old, new in ((empty, v1), (out / v1["version"], v2), (out / v2["version"], v3)):
        done = subprocess.run(  # noqa: S603 - our own script, fixed arguments
            [
                sys.executable,
                str(tmp_path / "apply_delta.py"),
                str(old),
                str(out / new["version"]),
                str(tmp_path / f"rebuilt-{new['version']}"),
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode == 0, done.stdout + done.stderr
        assert "MISMATCH" not in done.stdout and "subjects.jsonl" in done.stdout
    assert v3["delta"]["rows"] == 0


def test_no_full_resident_id_in_any_exported_file(
    out, court_list, alice, bob, samr, penalty_item, company
):
    listed = f.subject("natural_person", name="张三")
    unlisted = f.subject("natural_person", name="李四")
    ended = f.subject("natural_person", name="王五")
    # A clerk typed the ID into the facts, full-width digits too.
    wide = listed.identifier.translate({ord(d): 0xFF10 + int(d) for d in "0123456789"})
    publish(court_list, listed, alice, bob)
    entry = lists.list_entry_create(
        actor=alice,
        definition=court_list,
        subject=company,
        ground=court_list.grounds.first(),
        tier=court_list.tiers.get(tier="general"),
        duration_months=6,
        decision_number="（2026）浙01执1号",
        decision_date=datetime.date(2026, 1, 5),
        decision_issuer="法院",
        facts=f"法定代表人王五（身份证号{ended.identifier}，{wide}）拒不履行",
    )
    lists.list_entry_submit(actor=alice, entry=entry)
    lists.list_entry_approve(actor=bob, entry=entry)
    lists.list_entry_notify(actor=alice, entry=entry, via="electronic", reference="N-1")
    lists.list_entry_publish(
        actor=alice, entry=entry, now=timezone.now() + datetime.timedelta(days=16)
    )
    gone = publish(court_list, ended, alice, bob)
    lists.list_entry_revoke(actor=bob, entry=gone, reason="撤销")
    for person in (listed, unlisted, ended):
        penalty(penalty_item, person, samr, content=f"当事人{person.identifier}")
    export.build_version(now=timezone.now() - datetime.timedelta(hours=1))
    export.build_version()

    full_ids = {p.identifier for p in (listed, unlisted, ended)}
    seen_names = set()
    for path in out.rglob("*"):
        if not path.is_file():
            continue
        text = path.read_text(encoding="utf-8-sig")
        text = text.translate({0xFF10 + i: ord("0") + i for i in range(10)})
        for found in RID.findall(text):
            assert not identifiers.is_resident_id(found), f"{found} in {path.name}"
        assert not any(rid in text for rid in full_ids), path.name
        seen_names |= {n for n in ("张三", "李四", "王五") if n in text}
    # The listed person appears (name, masked ID); the unlisted never; 王五 only inside
    # the company's facts, masked.
    assert "张三" in seen_names and "李四" not in seen_names
    subjects = read_jsonl(out / export.read_index()["latest"] / "subjects.jsonl")
    person_rows = [s for s in subjects if s["kind"] == "natural_person"]
    assert [(s["name"], s["identifier"]) for s in person_rows] == [
        ("张三", identifiers.mask_resident_id(listed.identifier))
    ]


def test_served_read_only_with_etag_and_last_modified(out, client, court_list, alice, bob, company):
    publish(court_list, company, alice, bob)
    manifest = export.build_version()
    version = manifest["version"]

    index = client.get("/open-data/")
    assert index.status_code == 200 and index["Content-Type"].startswith("application/json")
    assert json.loads(b"".join(index.streaming_content))["latest"] == version
    again = client.get("/open-data/index.json", HTTP_IF_NONE_MATCH=index["ETag"])
    assert again.status_code == 304 and again["ETag"] == index["ETag"]

    file_meta = next(f for f in manifest["files"] if f["name"] == "list_entries.jsonl")
    got = client.get(f"/open-data/{version}/list_entries.jsonl")
    assert got.status_code == 200 and got.streaming
    assert got["ETag"] == f'"{file_meta["sha256"]}"' and got["Last-Modified"]
    body = b"".join(got.streaming_content)
    assert hashlib.sha256(body).hexdigest() == file_meta["sha256"]
    assert (
        client.get(
            f"/open-data/{version}/list_entries.jsonl", HTTP_IF_NONE_MATCH=got["ETag"]
        ).status_code
        == 304
    )
    assert (
        client.get(
            f"/open-data/{version}/list_entries.jsonl", HTTP_IF_MODIFIED_SINCE=got["Last-Modified"]
        ).status_code
        == 304
    )
    assert client.get(f"/open-data/{version}/").status_code == 200  # the manifest
    assert client.get(f"/open-data/{version}/delta.jsonl").status_code == 200

    assert client.post(f"/open-data/{version}/delta.jsonl").status_code == 405
    for bad in (
        f"/open-data/{version}/..%2Findex.json",
        f"/open-data/{version}/settings.py",
        "/open-data/..%2F..%2Fetc/passwd",
        f"/open-data/{version}/nothing.jsonl",
        "/open-data/20990101T000000Z/",
    ):
        assert client.get(bad).status_code == 404, bad


@pytest.mark.django_db
def test_a_second_export_at_the_same_time_is_refused(out):
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("SELECT pg_advisory_lock(%s)", [export._LOCK_KEY])
    try:
        import threading

        result = {}

        def other():
            from django.db import connection as conn

            try:
                export.build_version()
            except export.ExportBusy as exc:
                result["busy"] = str(exc)
            finally:
                conn.close()

        t = threading.Thread(target=other)
        t.start()
        t.join()
        assert "running" in result["busy"]
    finally:
        with connection.cursor() as cur:
            cur.execute("SELECT pg_advisory_unlock(%s)", [export._LOCK_KEY])
