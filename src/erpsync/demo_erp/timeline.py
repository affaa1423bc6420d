"""When generated records happened: business moments in the past of the dataset's anchor."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta

_WORKDAY_START = time(8, 0, tzinfo=UTC)
_WORKDAY_SECONDS = 10 * 3600


def iso(moment: datetime) -> str:
    """The ISO-8601 text of a moment, always in UTC with an explicit offset."""
    return moment.astimezone(UTC).isoformat()


def days_before(anchor: datetime, rng: random.Random, max_days: int) -> date:
    """A day between ``max_days`` before the anchor and the anchor's own day."""
    return anchor.date() - timedelta(days=rng.randint(0, max_days))


def at_most(day: date, anchor: datetime) -> date:
    return min(day, anchor.date())


def moment_on(day: date, rng: random.Random, anchor: datetime) -> datetime:
    """A whole-second moment during the working hours of ``day``, strictly before the anchor."""
    moment = datetime.combine(day, _WORKDAY_START) + timedelta(
        seconds=rng.randrange(_WORKDAY_SECONDS)
    )
    latest = anchor.replace(microsecond=0) - timedelta(seconds=1)
    if moment > latest:
        return latest - timedelta(seconds=rng.randrange(3600))
    return moment
