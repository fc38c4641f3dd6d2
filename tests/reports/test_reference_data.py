"""The data the migrations ship: categories, role groups and the holiday calendar."""

import datetime as dt

import pytest
from django.contrib.auth.models import Group

from reports.models import Category, CategoryGroup, Holiday

pytestmark = pytest.mark.django_db


def test_every_group_has_categories_and_administrative_ones_need_no_location():
    categories = Category.objects.all()
    assert categories.count() == 24
    assert set(categories.values_list("group", flat=True)) == set(CategoryGroup.values)
    for category in categories:
        assert category.name and category.name_en and category.deadline_days >= 1
        assert (category.kind == "administrative") == (category.group == "administrative")
    assert Category.objects.get(code="cay-gay-do").name == "Cây xanh gãy đổ, có nguy cơ gãy đổ"


@pytest.mark.parametrize(
    ("group", "permissions"),
    [
        ("citizen", {"add_report"}),
        ("official", {"view_report", "act_on_report"}),
        (
            "supervisor",
            {
                "view_report",
                "act_on_report",
                "extend_deadline",
                "oversee_reports",
                "view_analytics",
            },
        ),
        ("planner", {"view_report", "view_analytics"}),
    ],
)
def test_role_groups_carry_their_permissions(group, permissions):
    codenames = set(Group.objects.get(name=group).permissions.values_list("codename", flat=True))
    assert codenames == permissions


def test_holidays_are_weekdays_off_and_make_up_days_are_saturdays():
    for day, working in Holiday.objects.values_list("date", "working"):
        assert (day.weekday() == 5) if working else (day.weekday() < 5), day


def test_tet_2026_and_national_day_2026_are_in_the_calendar():
    days_off = set(Holiday.objects.filter(working=False).values_list("date", flat=True))
    assert {dt.date(2026, 2, d) for d in range(16, 21)} <= days_off
    assert {dt.date(2026, 8, 31), dt.date(2026, 9, 1), dt.date(2026, 9, 2)} <= days_off
    assert Holiday.objects.get(date=dt.date(2026, 8, 22)).working is True
