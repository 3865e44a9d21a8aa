"""The provider's calendar: which day it is where the provider works.

Due dates and expiries are calendar days in the provider's time zone
(``VAS_TIMEZONE``), not in UTC, so "today" is read here and nowhere else.
"""

from datetime import date
from datetime import datetime
from zoneinfo import ZoneInfo

from flask import current_app


def today() -> date:
    """Return today's date in the provider's time zone."""
    zone = ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])
    return datetime.now(zone).date()


def add_months(start: date, months: int) -> date:
    """Move a date by whole months, clamping to the month's last day.

    31 January plus one month is 28 (or 29) February; the next renewal moves
    from that date, as billing systems do.
    """
    month_index = start.month - 1 + months
    year = start.year + month_index // 12
    month = month_index % 12 + 1
    for day in (start.day, 30, 29, 28):
        try:
            return date(year, month, min(start.day, day))
        except ValueError:
            continue
    raise AssertionError("unreachable: every month has a 28th")
