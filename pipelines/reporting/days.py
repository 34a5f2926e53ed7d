"""UTC days, as the report and the daily health asset count them: a day is a calendar day in UTC, numbered from
1970-01-01 like the stores' `day_number` SQL."""

import datetime as dt

DAY_S = 86400


def day_start(day: str) -> float:
    """Epoch seconds at 00:00 UTC of an ISO day."""
    return dt.datetime.fromisoformat(day).replace(tzinfo=dt.UTC).timestamp()


def day_name(day_number: int) -> str:
    """The ISO day of a UTC day number."""
    return (dt.date(1970, 1, 1) + dt.timedelta(days=day_number)).isoformat()
