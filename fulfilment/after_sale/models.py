"""After-sale (售后): customers' refund requests on collected goods, and the
part of quality refunds booked back to the supplier."""

from __future__ import annotations

from datetime import datetime
from enum import Enum

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, Text
from sqlalchemy.orm import Mapped, mapped_column

from kernel.clock import utcnow
from kernel.db import Base, BigID, UTCDateTime, enum_column
from kernel.jobs.models import JsonType


class AfterSaleReason(Enum):
    QUALITY = "quality"  # spoilt, broken, not as described: the supplier pays
    WRONG_ITEM = "wrong_item"
    MISSING = "missing"  # not in the customer's bag
    OTHER = "other"


class AfterSaleStatus(Enum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


class AfterSaleRequest(Base):
    """A customer asks for some units of a collected line back. Approved ones
    point at the refund they booked; a request decided by nobody
    (``decided_by_id`` null, approved) was approved by the overdue job."""

    __tablename__ = "after_sale_requests"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="positive"),
        Index("ix_after_sale_requests_status_requested", "status", "requested_at"),
    )

    id: Mapped[int] = mapped_column(BigID, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    order_line_id: Mapped[int] = mapped_column(ForeignKey("order_lines.id"), index=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    quantity: Mapped[int] = mapped_column(Integer)
    reason: Mapped[AfterSaleReason] = mapped_column(
        enum_column(AfterSaleReason, "after_sale_reason")
    )
    note: Mapped[str | None] = mapped_column(Text)
    # What went wrong, by URL (the client uploads the pictures elsewhere).
    photo_urls: Mapped[list[str]] = mapped_column(JsonType, default=list, server_default="[]")
    status: Mapped[AfterSaleStatus] = mapped_column(
        enum_column(AfterSaleStatus, "after_sale_status")
    )
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    rejection_reason: Mapped[str | None] = mapped_column(Text)
    refund_id: Mapped[int | None] = mapped_column(ForeignKey("refunds.id"), unique=True)


class SupplierChargeback(Base):
    """Units refunded to a customer for a quality problem, charged back to the
    supplier at its unit cost. One per refund; never changed."""

    __tablename__ = "supplier_chargebacks"
    __table_args__ = (
        CheckConstraint(
            "units > 0 AND unit_cost_fen >= 0 AND amount_fen = units * unit_cost_fen",
            name="amount_exact",
        ),
    )

    id: Mapped[int] = mapped_column(BigID, primary_key=True)
    supplier_id: Mapped[int] = mapped_column(ForeignKey("suppliers.id"), index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"))
    order_line_id: Mapped[int] = mapped_column(ForeignKey("order_lines.id"))
    refund_id: Mapped[int] = mapped_column(ForeignKey("refunds.id"), unique=True)
    after_sale_request_id: Mapped[int] = mapped_column(ForeignKey("after_sale_requests.id"))
    # The purchase order the units were bought on, when there was one.
    purchase_order_id: Mapped[int | None] = mapped_column(ForeignKey("purchase_orders.id"))
    units: Mapped[int] = mapped_column(Integer)
    unit_cost_fen: Mapped[int] = mapped_column(Integer)
    amount_fen: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
