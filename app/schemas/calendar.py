"""Bodies of calendar feeds."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from app.schemas.common import ReadModel


class CalendarFeedCreated(ReadModel):
    """A candidate's calendar subscription URL, shown this once."""

    candidate_id: str = Field(description="Whose follow-ups the feed shows.")
    url: str = Field(
        description="The iCalendar (`.ics`) URL to subscribe to in any calendar app. It is "
        "the only credential the feed needs, so treat it as a secret; it is shown only "
        "now, and issuing the feed again replaces it."
    )
    token: str = Field(description="The secret part of `url`.")
    created_at: datetime = Field(description="When this URL was issued.")


class CalendarFeedRead(ReadModel):
    """A candidate's calendar feed; never its URL, which is shown only when issued."""

    id: str = Field(description="The feed's ID; issuing the URL again keeps it.")
    candidate_id: str = Field(description="Whose follow-ups the feed shows.")
    created_at: datetime = Field(
        description="When the current URL was issued (issuing it again resets this)."
    )
