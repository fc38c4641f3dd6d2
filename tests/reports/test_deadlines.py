"""Working-day deadlines: weekends, office hours, Tết, make-up Saturdays and extensions."""

import datetime as dt

import pytest

from reports.deadlines import LOCAL_TZ, calendar_load, close_of, deadline_for

pytestmark = pytest.mark.django_db


def hanoi(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=LOCAL_TZ)


@pytest.mark.parametrize(
    ("filed", "days", "due"),
    [
        # Monday 10:00, 1 working day: counting starts the next day, due Tuesday 17:00.
        (hanoi(2025, 11, 3, 10, 0), 1, hanoi(2025, 11, 4, 17, 0)),
        # Friday 10:00, 1 working day: the weekend is skipped, due Monday.
        (hanoi(2025, 11, 7, 10, 0), 1, hanoi(2025, 11, 10, 17, 0)),
        # Friday 18:00 is after closing: received Monday, due Tuesday.
        (hanoi(2025, 11, 7, 18, 0), 1, hanoi(2025, 11, 11, 17, 0)),
        # Saturday: received Monday; 3 working days end Thursday.
        (hanoi(2025, 11, 8, 9, 0), 3, hanoi(2025, 11, 13, 17, 0)),
        # Sunday 23:59 behaves like Saturday.
        (hanoi(2025, 11, 9, 23, 59), 3, hanoi(2025, 11, 13, 17, 0)),
        # Exactly 17:00 on a working day counts as after closing.
        (hanoi(2025, 11, 3, 17, 0), 1, hanoi(2025, 11, 5, 17, 0)),
    ],
)
def test_deadlines_count_working_days_after_receipt_across_weekends(filed, days, due):
    assert deadline_for(filed, days) == due


def test_a_report_filed_before_tet_2026_is_due_after_the_nine_day_break():
    """Friday 13 Feb 2026, 1 working day: 14-22 Feb is Tết (16-20 Feb are holidays)."""
    assert deadline_for(hanoi(2026, 2, 13, 10, 0), 1) == hanoi(2026, 2, 23, 17, 0)


def test_a_report_filed_during_tet_2026_is_received_after_it():
    """Filed on the first day of Tết (17 Feb 2026): received 23 Feb, 2 days end 25 Feb."""
    assert deadline_for(hanoi(2026, 2, 17, 9, 0), 2) == hanoi(2026, 2, 25, 17, 0)


def test_a_make_up_saturday_is_a_working_day():
    """Saturday 10 Jan 2026 is worked in exchange for Friday 2 Jan."""
    calendar = calendar_load()
    assert calendar.is_working_day(dt.date(2026, 1, 10))
    assert not calendar.is_working_day(dt.date(2026, 1, 2))
    # Filed Friday 9 Jan 2026 at 10:00, 1 working day: the make-up Saturday counts.
    assert deadline_for(hanoi(2026, 1, 9, 10, 0), 1) == hanoi(2026, 1, 10, 17, 0)


def test_reunification_and_labour_day_2025_with_their_bridge_are_skipped():
    """30 Apr - 4 May 2025 off, Saturday 26 Apr worked."""
    assert deadline_for(hanoi(2025, 4, 29, 9, 0), 1) == hanoi(2025, 5, 5, 17, 0)


def test_the_deadline_is_returned_in_utc_terms_correctly():
    """17:00 in Hanoi is 10:00 UTC."""
    due = deadline_for(hanoi(2025, 11, 3, 10, 0), 1)
    assert due.astimezone(dt.UTC) == dt.datetime(2025, 11, 4, 10, 0, tzinfo=dt.UTC)


def test_an_extension_adds_working_days_to_the_current_deadline():
    calendar = calendar_load()
    assert calendar.extend(close_of(dt.date(2026, 2, 13)), 1) == hanoi(2026, 2, 23, 17, 0)


def test_an_out_of_range_count_is_refused():
    with pytest.raises(ValueError, match="working days"):
        calendar_load().add_working_days(dt.date(2025, 1, 1), -1)


def test_every_deadline_falls_at_closing_time_on_a_working_day_after_filing():
    """Property: for any filing moment 2025-2027 and 1-20 working days, the deadline is 17:00
    local on a working day, after filing, and never earlier for a later filing."""
    from hypothesis import given, settings
    from hypothesis import strategies as st

    calendar = calendar_load()
    moments = st.datetimes(
        min_value=dt.datetime(2025, 1, 1), max_value=dt.datetime(2027, 11, 30)
    ).map(lambda d: d.replace(tzinfo=LOCAL_TZ))

    @settings(max_examples=300, deadline=None)
    @given(
        filed=moments,
        later_by=st.timedeltas(min_value=dt.timedelta(0), max_value=dt.timedelta(days=9)),
        days=st.integers(min_value=1, max_value=20),
    )
    def check(filed, later_by, days):
        due = calendar.due_at(filed, days)
        local = due.astimezone(LOCAL_TZ)
        assert local.time() == dt.time(17, 0)
        assert calendar.is_working_day(local.date())
        assert due > filed
        assert calendar.due_at(filed + later_by, days) >= due

    check()


def test_the_cached_calendar_follows_a_holiday_added_or_removed_in_the_admin(
    django_assert_num_queries,
):
    """The calendar is read once and cached; saving or deleting a Holiday forgets it, so
    the next deadline counts the change (Monday 3 Nov 2025 declared a day off, then not)."""
    from reports.models import Holiday

    filed = hanoi(2025, 10, 31, 18, 0)  # Friday after closing: received Monday 3 Nov
    assert deadline_for(filed, 1) == hanoi(2025, 11, 4, 17, 0)
    with django_assert_num_queries(0):
        assert deadline_for(filed, 1) == hanoi(2025, 11, 4, 17, 0)
    day_off = Holiday.objects.create(date=dt.date(2025, 11, 3), name="Ngày nghỉ thử")
    assert deadline_for(filed, 1) == hanoi(2025, 11, 5, 17, 0)
    day_off.delete()
    assert deadline_for(filed, 1) == hanoi(2025, 11, 4, 17, 0)
