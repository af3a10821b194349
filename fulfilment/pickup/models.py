"""Pickup's own table: the wrong codes verifiers typed, for the rate limit.
The collection itself is recorded with the order (``orders.models``)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index
from sqlalchemy.orm import Mapped, mapped_column

from kernel.clock import utcnow
from kernel.db import Base, BigID, UTCDateTime


class PickupFailedAttempt(Base):
    """A code (or QR payload) a verifier entered that matched no order of
    their pickup point. Kept in the database so the rate limit holds across
    every API process."""

    __tablename__ = "pickup_failed_attempts"
    __table_args__ = (Index("ix_pickup_failed_attempts_user_at", "user_id", "attempted_at"),)

    id: Mapped[int] = mapped_column(BigID, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    pickup_point_id: Mapped[int] = mapped_column(ForeignKey("pickup_points.id"))
    attempted_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
