"""Tables of pickup points (自提点): the point a leader runs, the customers
bound to it, and the helpers (帮手) who may hand goods out there."""

from __future__ import annotations

from datetime import datetime, time
from enum import Enum

from sqlalchemy import CheckConstraint, Float, ForeignKey, Index, Integer, String, Text, Time
from sqlalchemy.orm import Mapped, mapped_column

from kernel.clock import utcnow
from kernel.db import Base, BigID, UTCDateTime, enum_column


class PickupPoint(Base):
    """Where a leader receives deliveries and residents collect their goods."""

    __tablename__ = "pickup_points"
    __table_args__ = (
        CheckConstraint("lat BETWEEN -90 AND 90 AND lon BETWEEN -180 AND 180", name="wgs84"),
        CheckConstraint("window_start < window_end", name="window_order"),
        # pickupPointsNear narrows by a latitude/longitude box (points/nearby.py).
        Index("ix_pickup_points_lat_lon", "lat", "lon"),
    )

    id: Mapped[int] = mapped_column(BigID, primary_key=True)
    leader_id: Mapped[int] = mapped_column(ForeignKey("leaders.id"), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    address: Mapped[str] = mapped_column(String(300))
    lat: Mapped[float] = mapped_column(Float)  # WGS-84
    lon: Mapped[float] = mapped_column(Float)  # WGS-84
    window_start: Mapped[time] = mapped_column(Time)  # local time, platform zone
    window_end: Mapped[time] = mapped_column(Time)
    contact_phone: Mapped[str] = mapped_column(String(32))
    # Residents open the leader's link or scan the code carrying this; orders
    # through it are attributed to the leader. Issued on first approval.
    share_code: Mapped[str | None] = mapped_column(String(16), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    # Bumped by every setup edit (kernel/versioning.py).
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")


class CustomerBinding(Base):
    """The pickup point a customer orders through (the last one used)."""

    __tablename__ = "customer_bindings"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    pickup_point_id: Mapped[int] = mapped_column(ForeignKey("pickup_points.id"), index=True)
    bound_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class PickupHelperStatus(Enum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    REMOVED = "removed"  # by the leader


class PickupHelper(Base):
    """A person registered to hand goods out at a pickup point. The row is
    re-used when a rejected or removed helper is registered again."""

    __tablename__ = "pickup_helpers"

    id: Mapped[int] = mapped_column(BigID, primary_key=True)
    pickup_point_id: Mapped[int] = mapped_column(ForeignKey("pickup_points.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), unique=True)
    status: Mapped[PickupHelperStatus] = mapped_column(
        enum_column(PickupHelperStatus, "pickup_helper_status"), index=True
    )
    added_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    added_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    status_reason: Mapped[str | None] = mapped_column(Text)


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
