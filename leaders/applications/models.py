"""Tables of leaders (团长): who applied, and where they stand."""

from __future__ import annotations

from datetime import datetime
from enum import Enum

from sqlalchemy import ForeignKey, Text
from sqlalchemy.orm import Mapped, mapped_column

from kernel.clock import utcnow
from kernel.db import Base, BigID, UTCDateTime, enum_column


class LeaderStatus(Enum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    SUSPENDED = "suspended"


class Leader(Base):
    """A user's application to lead, and then their standing as a leader."""

    __tablename__ = "leaders"

    id: Mapped[int] = mapped_column(BigID, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), unique=True)
    status: Mapped[LeaderStatus] = mapped_column(
        enum_column(LeaderStatus, "leader_status"), index=True
    )
    # Why the last rejection or suspension happened; shown to the applicant.
    status_reason: Mapped[str | None] = mapped_column(Text)
    applied_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # The first approval: a recruiter's share runs for a number of days from here.
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The leader who brought this one in (set by an operator); one level only.
    recruited_by_id: Mapped[int | None] = mapped_column(ForeignKey("leaders.id"), index=True)
