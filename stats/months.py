"""Calendar months in the alliance's time zone: parsing `YYYY-MM`, ranges and their bounds."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone

MONTH_PATTERN = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
# Longest series one request may ask for: five years of months.
MAX_MONTHS = 60
DEFAULT_MONTHS = 12
EARLIEST_YEAR = 2000


def stats_zone() -> ZoneInfo:
    """Months are the alliance's calendar months: settings.TIME_ZONE (Asia/Seoul)."""
    return ZoneInfo(settings.TIME_ZONE)


@dataclass(frozen=True, order=True)
class Month:
    year: int
    month: int

    @classmethod
    def parse(cls, text: str) -> Month | None:
        match = MONTH_PATTERN.match(text)
        if match is None:
            return None
        return cls(int(match.group(1)), int(match.group(2)))

    @classmethod
    def of(cls, moment: dt.datetime) -> Month:
        local = moment.astimezone(stats_zone())
        return cls(local.year, local.month)

    @classmethod
    def current(cls) -> Month:
        return cls.of(timezone.now())

    def plus(self, months: int) -> Month:
        index = self.year * 12 + self.month - 1 + months
        return Month(index // 12, index % 12 + 1)

    def minus(self, other: Month) -> int:
        """Months from `other` to this one."""
        return (self.year - other.year) * 12 + self.month - other.month

    def start(self) -> dt.datetime:
        """The first instant of the month, in the alliance's time zone."""
        return dt.datetime(self.year, self.month, 1, tzinfo=stats_zone())

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"


@dataclass(frozen=True)
class MonthRange:
    """`first` to `last`, both included."""

    first: Month
    last: Month

    def months(self) -> list[Month]:
        return [self.first.plus(i) for i in range(self.last.minus(self.first) + 1)]

    def start(self) -> dt.datetime:
        return self.first.start()

    def end(self) -> dt.datetime:
        """The first instant after the range."""
        return self.last.plus(1).start()

    def __len__(self) -> int:
        return self.last.minus(self.first) + 1
