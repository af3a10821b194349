"""What happens at a stop of a published plan (配送, 签收): the leader's
receipt of the delivery and the missing or damaged units reported with it;
and the same at a grid warehouse (网格仓签收) for the central's trunk."""

from __future__ import annotations

from datetime import date, datetime
from enum import Enum

from sqlalchemy import (
    CheckConstraint,
    Date,
    ForeignKey,
    Integer,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

# The grid tables the handover points at, in the metadata with it.
from fulfilment.network import models as network_models
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


class GridReceipt(Base):
    """The grid operator's signature for the central's trunk delivery of one
    day (网格仓签收), once per grid and date."""

    __tablename__ = "grid_receipts"
    __table_args__ = (UniqueConstraint("grid_id", "delivery_date"),)

    id: Mapped[int] = mapped_column(BigID, primary_key=True)
    grid_id: Mapped[int] = mapped_column(ForeignKey("grid_warehouses.warehouse_id"))
    delivery_date: Mapped[date] = mapped_column(Date)
    signed_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    signed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    note: Mapped[str | None] = mapped_column(Text)


class ChargedParty(Enum):
    """Who bears the cost of units lost between the central and the grid."""

    CARRIER = "carrier"
    CENTRAL = "central"
    SUPPLIER = "supplier"


class GridIssue(Base):
    """Units of one product missing or damaged at the grid's handover,
    refunded to the grid's customers by the latest-paid-first rule; an
    operator then says who is charged for them."""

    __tablename__ = "grid_issues"
    __table_args__ = (
        UniqueConstraint("receipt_id", "product_id", "kind"),
        CheckConstraint("quantity > 0", name="positive"),
    )

    id: Mapped[int] = mapped_column(BigID, primary_key=True)
    receipt_id: Mapped[int] = mapped_column(ForeignKey("grid_receipts.id"), index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"))
    kind: Mapped[DeliveryIssueKind] = mapped_column(
        enum_column(DeliveryIssueKind, "grid_issue_kind")
    )
    quantity: Mapped[int] = mapped_column(Integer)
    charged_to: Mapped[ChargedParty | None] = mapped_column(
        enum_column(ChargedParty, "charged_party")
    )
    charged_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    charged_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class GridIssueRefund(Base):
    """A refund a grid issue booked (orders' refunds know nothing of grids)."""

    __tablename__ = "grid_issue_refunds"

    refund_id: Mapped[int] = mapped_column(ForeignKey("refunds.id"), primary_key=True)
    grid_issue_id: Mapped[int] = mapped_column(ForeignKey("grid_issues.id"), index=True)


__all__ = ["network_models"]
