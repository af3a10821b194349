"""Suppliers and their products."""

from __future__ import annotations

from datetime import datetime
from enum import Enum

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from kernel.clock import utcnow
from kernel.db import Base, BigID, UTCDateTime, enum_column


class StorageZone(Enum):
    AMBIENT = "ambient"
    CHILLED = "chilled"
    FROZEN = "frozen"


class Supplier(Base):
    __tablename__ = "suppliers"

    id: Mapped[int] = mapped_column(BigID, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    contact_name: Mapped[str] = mapped_column(String(100))
    contact_phone: Mapped[str] = mapped_column(String(32))
    # Where purchase order notifications go, and the key that signs them.
    webhook_url: Mapped[str | None] = mapped_column(String(500))
    webhook_secret: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class SupplierMember(Base):
    """A user account that acts for a supplier (sees its purchase orders)."""

    __tablename__ = "supplier_members"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    supplier_id: Mapped[int] = mapped_column(ForeignKey("suppliers.id"), index=True)


class Product(Base):
    __tablename__ = "products"
    __table_args__ = (
        CheckConstraint("case_pack >= 1", name="case_pack_positive"),
        CheckConstraint("cost_fen >= 0 AND weight_g >= 0 AND volume_ml >= 0", name="non_negative"),
    )

    id: Mapped[int] = mapped_column(BigID, primary_key=True)
    supplier_id: Mapped[int] = mapped_column(ForeignKey("suppliers.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    category: Mapped[str] = mapped_column(String(50), index=True)
    unit: Mapped[str] = mapped_column(String(30))  # e.g. 500g/盒
    weight_g: Mapped[int] = mapped_column(Integer)
    volume_ml: Mapped[int] = mapped_column(Integer)
    case_pack: Mapped[int] = mapped_column(Integer)  # units per supplier case
    cost_fen: Mapped[int] = mapped_column(Integer)  # supplier cost per unit
    storage_zone: Mapped[StorageZone] = mapped_column(enum_column(StorageZone, "storage_zone"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
