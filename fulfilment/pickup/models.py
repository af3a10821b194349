"""Pickup (自提/核销): each paid order's code, the record of its collection,
and the wrong codes verifiers typed (for the rate limit)."""

from __future__ import annotations

from datetime import datetime
from enum import Enum

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer
from sqlalchemy.orm import Mapped, mapped_column

from kernel.clock import utcnow
from kernel.db import Base, BigID, UTCDateTime, enum_column


class PickupMethod(Enum):
    CODE = "code"  # typed in by the verifier
    QR = "qr"  # the customer's QR code scanned
    AUTO = "auto"  # not collected in time: completed by the job


class OrderPickup(Base):
    """An order was collected (or completed automatically). One per order:
    the unique key is what makes a second verification harmless."""

    __tablename__ = "order_pickups"

    id: Mapped[int] = mapped_column(BigID, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), unique=True)
    pickup_point_id: Mapped[int] = mapped_column(ForeignKey("pickup_points.id"), index=True)
    method: Mapped[PickupMethod] = mapped_column(enum_column(PickupMethod, "pickup_method"))
    # The leader or helper who verified; null when completed automatically.
    verified_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    picked_up_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class PickupLine(Base):
    """What of one order line was handed out: its units and amount less
    everything refunded on it before (shortages, delivery issues). The
    commission is accrued on ``net_fen``; after-sale may refund up to
    ``quantity`` units of it."""

    __tablename__ = "pickup_lines"
    __table_args__ = (CheckConstraint("quantity > 0 AND net_fen >= 0", name="positive"),)

    id: Mapped[int] = mapped_column(BigID, primary_key=True)
    pickup_id: Mapped[int] = mapped_column(ForeignKey("order_pickups.id"), index=True)
    order_line_id: Mapped[int] = mapped_column(ForeignKey("order_lines.id"), unique=True)
    quantity: Mapped[int] = mapped_column(Integer)
    net_fen: Mapped[int] = mapped_column(Integer)


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
