"""Working days with the official holiday calendar (State Council General Office notices for
2025, 国办发明电〔2024〕12号, and 2026, of 4 November 2025): real dates across 国庆节 2025 and
春节 2026, the data file, the operator's admin, and one function for every deadline."""

from __future__ import annotations

import csv
import datetime
import re
import zoneinfo
from pathlib import Path

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError

from registry import credit_records, services, workdays
from registry.models import CalendarDay
from tests import factories as f

pytestmark = pytest.mark.django_db
D = datetime.date
ROOT = Path(__file__).resolve().parents[2]
SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")


@pytest.fixture(autouse=True)
def _fresh_calendar(db):
    # The migration loads the calendar; a live-server test earlier in the session flushes
    # every table, so put back what is missing (the loader adds missing days only).
    workdays.load_calendar(CalendarDay)
    workdays.clear_calendar_cache()
    yield
    workdays.clear_calendar_cache()


def test_the_migration_loaded_both_notices():
    days = dict(CalendarDay.objects.values_list("date", "kind"))
    assert days[D(2025, 10, 1)] == days[D(2025, 10, 8)] == "holiday"
    assert days[D(2025, 10, 11)] == days[D(2025, 9, 28)] == "working_day"
    assert days[D(2026, 2, 15)] == days[D(2026, 2, 23)] == "holiday"
    assert days[D(2026, 2, 14)] == days[D(2026, 2, 28)] == "working_day"
    assert "国办发明电〔2024〕12号" in CalendarDay.objects.get(date=D(2025, 10, 1)).source
    # Every adjusted working day is a weekend day; every row of the file is loaded.
    assert all(d.weekday() >= 5 for d, k in days.items() if k == CalendarDay.Kind.WORKING_DAY)
    with workdays.HOLIDAYS_CSV.open(encoding="utf-8") as handle:
        assert len(list(csv.DictReader(handle))) == len(days)


@pytest.mark.parametrize(
    ("start", "days", "due"),
    [
        # 国庆节、中秋节 2025: 1-8 October off, Sunday 28 Sept and Saturday 11 Oct worked.
        (D(2025, 9, 30), 1, D(2025, 10, 9)),
        (D(2025, 9, 26), 1, D(2025, 9, 28)),  # a Sunday, worked
        (D(2025, 10, 10), 1, D(2025, 10, 11)),  # a Saturday, worked
        (D(2025, 9, 26), 7, D(2025, 10, 13)),  # double publicity across the holiday
        (D(2025, 9, 30), 10, D(2025, 10, 21)),  # a repair decision filed before it
        # 春节 2026: 15-23 February off, Saturdays 14 and 28 February worked.
        (D(2026, 2, 13), 1, D(2026, 2, 14)),
        (D(2026, 2, 13), 2, D(2026, 2, 24)),
        (D(2026, 2, 12), 10, D(2026, 3, 4)),
        (D(2026, 2, 10), 15, D(2026, 3, 9)),  # an objection decision
        # An ordinary week, and a start on a holiday (the start is never counted).
        (D(2026, 11, 20), 1, D(2026, 11, 23)),
        (D(2025, 10, 3), 1, D(2025, 10, 9)),
        (D(2025, 10, 3), 0, D(2025, 10, 3)),
    ],
)
def test_add_working_days_follows_the_notices(start, days, due):
    assert workdays.add_working_days(start, days) == due


def test_double_publicity_timeliness_across_national_day():
    due, on_time = credit_records.timeliness(D(2025, 9, 26), D(2025, 10, 13))
    assert (due, on_time) == (D(2025, 10, 13), True)
    assert credit_records.timeliness(D(2025, 9, 26), D(2025, 10, 14)) == (D(2025, 10, 13), False)


def test_repair_decision_due_after_spring_festival(samr, company):
    from tests.sharing.conftest import file_record, make_item

    clerk = f.user("samr-clerk", samr, "clerk")
    item = make_item(samr, "N-001", "public")
    with time_machine.travel(datetime.datetime(2026, 2, 12, 10, tzinfo=SHANGHAI), tick=False):
        record = file_record(
            clerk, item, company, "杭市监罚〔2025〕９号", decision_date=D(2025, 9, 1)
        )
        application = services.credit_record_repair_apply(
            record=record, applicant_name="杭州恒信电子科技有限公司", contact="0571-88888888",
            conditions_met=["obligation_met"], statement="已缴清",
        )  # fmt: skip
    # Thursday 12 Feb + 10 working days: 13, Sat 14, then 24 Feb - 4 March.
    assert application.decide_by == D(2026, 3, 4)


def test_operator_maintains_the_calendar_and_deadlines_follow(samr):
    operator = f.user("operator", samr, "admin", is_superuser=True)
    assert workdays.add_working_days(D(2027, 2, 5), 1) == D(2027, 2, 8)
    services.calendar_day_save(
        actor=operator,
        day=CalendarDay(
            date=D(2027, 2, 8),
            kind=CalendarDay.Kind.HOLIDAY,
            name="春节",
            source="测试：假设的2027年通知（未发布）",
        ),
    )
    assert workdays.add_working_days(D(2027, 2, 5), 1) == D(2027, 2, 9)
    clerk = f.user("clerk", samr, "clerk")
    with pytest.raises(PermissionDenied):
        services.calendar_day_save(
            actor=clerk,
            day=CalendarDay(date=D(2027, 2, 9), kind="holiday", name="春节", source="x"),
        )
    with pytest.raises(ValidationError) as error:  # a Tuesday cannot be "worked instead"
        services.calendar_day_save(
            actor=operator,
            day=CalendarDay(date=D(2027, 2, 9), kind="working_day", name="春节", source="x"),
        )
    assert "kind" in error.value.message_dict


def test_admin_is_the_operators(client, samr):
    operator = f.user("operator", samr, "admin", is_superuser=True)
    client.force_login(operator)
    response = client.post(
        "/admin/registry/calendarday/add/",
        {"date": "2027-01-01", "kind": "holiday", "name": "元旦", "source": "测试通知"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert CalendarDay.objects.filter(date=D(2027, 1, 1)).exists()
    assert workdays.add_working_days(D(2026, 12, 31), 1) == D(2027, 1, 4)
    client.force_login(f.user("samr-admin", samr, "admin"))
    assert client.get("/admin/registry/calendarday/").status_code == 403


def test_there_is_one_working_day_function():
    """No other module counts Monday-Friday by itself."""
    own = ROOT / "registry" / "workdays.py"
    offenders = [
        str(path.relative_to(ROOT))
        for app in (
            "registry",
            "blacklists",
            "sanctions",
            "sharing",
            "publicity",
            "scs",
            "opendata",
            "notifications",
            "rating",
        )  # fmt: skip
        for path in (ROOT / app).rglob("*.py")
        if path != own
        and "migrations" not in path.parts
        and re.search(r"weekday\(\)\s*(<|>|in)|isoweekday\(\)|busday", path.read_text())
    ]
    assert offenders == []
