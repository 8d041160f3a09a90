"""Reporting periods: calendar dates in an explicit time zone, turned into the node's time strings.

Usage and issuance times are stored as ``YYYYMMDDHHMMSS`` in China Standard Time (UTC+8, the
protocol's terminal time), so a period [start 00:00, end+1 00:00) in any IANA zone becomes a
half-open range of those strings and string comparison in SQL is exact (fixed width, one zone).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ehc.errors import EhcError
from reference_node.config import CHINA_STANDARD_TIME, TIME_FORMAT
from reference_node.supervision.errors import BAD_PERIOD

DEFAULT_TZ = "Asia/Shanghai"
MAX_DAYS = 3 * 366 + 1  # a dashboard asks for up to three years at once


@dataclass(frozen=True)
class Period:
    start: date
    end: date  # inclusive: the whole of this day belongs to the period
    tz: str = DEFAULT_TZ

    @classmethod
    def parse(cls, start: str, end: str, tz: str = "") -> Period:
        try:
            s, e = date.fromisoformat(start), date.fromisoformat(end)
        except (TypeError, ValueError):
            raise EhcError(
                BAD_PERIOD, "start_date and end_date are ISO dates YYYY-MM-DD", field="start_date"
            ) from None
        if e < s:
            raise EhcError(BAD_PERIOD, "end_date is before start_date", field="end_date")
        if (e - s).days >= MAX_DAYS:
            raise EhcError(BAD_PERIOD, f"a period is at most {MAX_DAYS} days", field="end_date")
        tz = tz or DEFAULT_TZ
        try:
            ZoneInfo(tz)
        except (ZoneInfoNotFoundError, ValueError):
            raise EhcError(BAD_PERIOD, f"unknown time zone {tz[:64]!r}", field="time_zone") from None
        return cls(s, e, tz)

    def instant(self, day: date) -> datetime:
        return datetime.combine(day, time(0), ZoneInfo(self.tz))

    def bounds(self) -> tuple[str, str]:
        """[from, to) as node time strings (CST)."""
        lo = self.instant(self.start).astimezone(CHINA_STANDARD_TIME)
        hi = self.instant(self.end + timedelta(days=1)).astimezone(CHINA_STANDARD_TIME)
        return lo.strftime(TIME_FORMAT), hi.strftime(TIME_FORMAT)

    def weeks(self) -> list[tuple[date, date]]:
        """Monday-to-Sunday weeks overlapping the period, clipped to it (the weekly notices)."""
        out: list[tuple[date, date]] = []
        day = self.start
        while day <= self.end:
            sunday = day + timedelta(days=6 - day.weekday())
            out.append((day, min(sunday, self.end)))
            day = sunday + timedelta(days=1)
        return out

    def describe(self) -> dict[str, str]:
        lo, hi = self.bounds()
        return {
            "start_date": self.start.isoformat(),
            "end_date": self.end.isoformat(),
            "time_zone": self.tz,
            "from_time": lo,
            "to_time": hi,
        }


def cst_day(text: str) -> date:
    """The calendar day (CST) of a node time string or an 8-digit day."""
    return date(int(text[0:4]), int(text[4:6]), int(text[6:8]))
