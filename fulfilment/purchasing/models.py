"""Purchase orders (采购单): one per supplier, warehouse and delivery date,
revised rather than duplicated when consolidation runs again."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from kernel.clock import utcnow
from kernel.db import Base, BigID, UTCDateTime


class PurchaseOrder(Base):
    __tablename__ = "purchase_orders"
    __table_args__ = (UniqueConstraint("supplier_id", "warehouse_id", "delivery_date"),)

    id: Mapped[int] = mapped_column(BigID, primary_key=True)
    supplier_id: Mapped[int] = mapped_column(ForeignKey("suppliers.id"), index=True)
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouses.id"))
    delivery_date: Mapped[date] = mapped_column(Date)
    revision: Mapped[int] = mapped_column(Integer, default=1)  # the current one
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    revised_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    receiving_closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class PurchaseOrderLine(Base):
    """One product of one revision. Revisions are kept whole, so a supplier
    can see what changed between any two."""

    __tablename__ = "purchase_order_lines"
    __table_args__ = (
        UniqueConstraint("purchase_order_id", "revision", "product_id"),
        CheckConstraint(
            "ordered_units > 0 AND case_pack >= 1 AND purchase_units = cases * case_pack "
            "AND surplus_units = purchase_units - ordered_units AND surplus_units >= 0 "
            "AND surplus_units < case_pack AND cost_fen = purchase_units * unit_cost_fen",
            name="case_arithmetic",
        ),
        CheckConstraint(
            "confirmed_units IS NULL OR confirmed_units BETWEEN 0 AND purchase_units",
            name="confirmed_range",
        ),
    )

    id: Mapped[int] = mapped_column(BigID, primary_key=True)
    purchase_order_id: Mapped[int] = mapped_column(ForeignKey("purchase_orders.id"), index=True)
    revision: Mapped[int] = mapped_column(Integer)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"))
    ordered_units: Mapped[int] = mapped_column(Integer)  # what customers paid for
    case_pack: Mapped[int] = mapped_column(Integer)
    cases: Mapped[int] = mapped_column(Integer)  # ordered units rounded up to whole cases
    purchase_units: Mapped[int] = mapped_column(Integer)
    surplus_units: Mapped[int] = mapped_column(Integer)
    unit_cost_fen: Mapped[int] = mapped_column(Integer)
    cost_fen: Mapped[int] = mapped_column(Integer)
    # What the supplier says it will deliver; null until confirmed. A new
    # revision starts unconfirmed.
    confirmed_units: Mapped[int | None] = mapped_column(Integer)


class Receipt(Base):
    """One delivery of one product against a purchase order: what arrived and
    what passed QC. Several deliveries add up."""

    __tablename__ = "receipts"
    __table_args__ = (
        CheckConstraint(
            "accepted_units >= 0 AND accepted_units <= received_units",
            name="accepted_within_received",
        ),
    )

    id: Mapped[int] = mapped_column(BigID, primary_key=True)
    purchase_order_id: Mapped[int] = mapped_column(ForeignKey("purchase_orders.id"), index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"))
    received_units: Mapped[int] = mapped_column(Integer)
    accepted_units: Mapped[int] = mapped_column(Integer)
    delivery_ref: Mapped[str] = mapped_column(String(64), default="")
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
