"""Working-day deadlines on Vietnam's civil-service calendar, in Asia/Ho_Chi_Minh.

The rule (documented in the README and asserted by tests):

- A working day is Monday to Friday, minus the `Holiday` rows that are not `working`, plus the
  Saturdays a `Holiday` row marks `working` (make-up days for decreed bridges).
- A report is *received* on the day it is filed if that is a working day and it arrives before
  the office closes (17:00 local); otherwise it is received on the next working day. This is
  how a counter clerk would stamp a paper complaint that arrived in the evening or at the
  weekend.
- As in Vietnamese administrative practice, the time limit runs from the working day *after*
  receipt: a deadline of N working days ends at 17:00 local on the Nth working day after the
  day of receipt. One working day for a complaint filed on Monday at 10:00 ends on Tuesday at
  17:00; the same complaint filed on Friday at 18:00 is received on Monday and due Tuesday.
- Extensions add working days to the current deadline, landing at 17:00 again.

Beyond the last year in the holiday table only weekends are skipped; the admin keeps the table.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from geo.refcache import reference_cached
from reports.models import Holiday

LOCAL_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
# Hanoi's offices close at 17:00; a deadline falls at the close of its last working day.
OFFICE_CLOSES = dt.time(17, 0)
# No category or extension needs more; it also bounds the loops below.
MAX_WORKING_DAYS = 366


@dataclass(frozen=True)
class WorkingCalendar:
    """Weekdays off and weekend days on; build once with `calendar_load` for bulk work."""

    days_off: frozenset[dt.date] = field(default_factory=frozenset)
    days_on: frozenset[dt.date] = field(default_factory=frozenset)

    def is_working_day(self, day: dt.date) -> bool:
        if day in self.days_on:
            return True
        return day.weekday() < 5 and day not in self.days_off

    def next_working_day(self, day: dt.date) -> dt.date:
        """The first working day strictly after `day`."""
        candidate = day + dt.timedelta(days=1)
        while not self.is_working_day(candidate):
            candidate += dt.timedelta(days=1)
        return candidate

    def add_working_days(self, day: dt.date, count: int) -> dt.date:
        """The `count`-th working day after `day` (`day` itself never counts)."""
        if not 0 <= count <= MAX_WORKING_DAYS:
            raise ValueError(f"working days must be between 0 and {MAX_WORKING_DAYS}")
        for _ in range(count):
            day = self.next_working_day(day)
        return day

    def receipt_day(self, moment: dt.datetime) -> dt.date:
        """The working day a report filed at `moment` counts as received."""
        local = moment.astimezone(LOCAL_TZ)
        day = local.date()
        if self.is_working_day(day) and local.time() < OFFICE_CLOSES:
            return day
        return self.next_working_day(day)

    def due_at(self, filed_at: dt.datetime, working_days: int) -> dt.datetime:
        """17:00 local on the `working_days`-th working day after receipt."""
        day = self.add_working_days(self.receipt_day(filed_at), working_days)
        return close_of(day)

    def extend(self, due_at: dt.datetime, working_days: int) -> dt.datetime:
        """A deadline moved `working_days` working days later, at closing time."""
        day = due_at.astimezone(LOCAL_TZ).date()
        return close_of(self.add_working_days(day, working_days))


def close_of(day: dt.date) -> dt.datetime:
    """Closing time of `day` in Hanoi, as an aware datetime."""
    return dt.datetime.combine(day, OFFICE_CLOSES, tzinfo=LOCAL_TZ)


# Read for every new report; cached (geo.refcache), forgotten when a Holiday changes.
CALENDAR_CACHE_KEY = "reports:working-calendar"


def _calendar_read() -> WorkingCalendar:
    off: set[dt.date] = set()
    on: set[dt.date] = set()
    for day, working in Holiday.objects.values_list("date", "working"):
        (on if working else off).add(day)
    return WorkingCalendar(days_off=frozenset(off), days_on=frozenset(on))


def calendar_load() -> WorkingCalendar:
    """The calendar from the Holiday table (a few dozen rows a year: read it whole)."""
    return reference_cached(CALENDAR_CACHE_KEY, _calendar_read)


def deadline_for(filed_at: dt.datetime, working_days: int) -> dt.datetime:
    """When a report filed at `filed_at` with `working_days` to handle it falls due."""
    return calendar_load().due_at(filed_at, working_days)
