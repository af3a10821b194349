"""What happens at a stop of a published plan (配送, 签收): the leader's
receipt of the delivery and the missing or damaged units reported with it."""

from __future__ import annotations

from datetime import datetime
from enum import Enum

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Integer,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from kernel.clock import utcnow
from kernel.db import Base, BigID, UTCDateTime, enum_column


class DeliveryIssueKind(Enum):
    MISSING = "missing"
    DAMAGED = "damaged"


class DeliveryReceipt(Base):
    """The leader's signature (签收) for a stop's goods."""

    __tablename__ = "delivery_receipts"

    id: Mapped[int] = mapped_column(BigID, primary_key=True)
    route_stop_id: Mapped[int] = mapped_column(ForeignKey("route_stops.id"), unique=True)
    signed_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    signed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    note: Mapped[str | None] = mapped_column(Text)


class DeliveryIssue(Base):
    """Units of one product missing or damaged at a stop, as the leader
    reported them on signing; refunded by the shortage rule."""

    __tablename__ = "delivery_issues"
    __table_args__ = (
        UniqueConstraint("receipt_id", "product_id", "kind"),
        CheckConstraint("quantity > 0", name="positive"),
    )

    id: Mapped[int] = mapped_column(BigID, primary_key=True)
    receipt_id: Mapped[int] = mapped_column(ForeignKey("delivery_receipts.id"), index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"))
    kind: Mapped[DeliveryIssueKind] = mapped_column(
        enum_column(DeliveryIssueKind, "delivery_issue_kind")
    )
    quantity: Mapped[int] = mapped_column(Integer)
