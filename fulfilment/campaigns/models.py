"""Tables of what is sold and from where: warehouses and the pickup points they
serve, suppliers and their products, campaigns (团购活动) and their items."""

from __future__ import annotations

from datetime import date, datetime, time
from enum import Enum

from sqlalchemy import (
    CheckConstraint,
    Date,
    Float,
    ForeignKey,
    Integer,
    String,
    Time,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from kernel.clock import utcnow
from kernel.db import Base, BigID, UTCDateTime, enum_column
from kernel.jobs.models import JsonType


class Campaign(Base):
    """One warehouse's sale for one delivery date. A date may have several
    (a weekend's presale beside the next-day campaign), each with its own
    cutoff; the day is bought once the last of them is cut off."""

    __tablename__ = "campaigns"
    __table_args__ = (
        UniqueConstraint("warehouse_id", "delivery_date", "cutoff_at"),
        CheckConstraint("opens_at < cutoff_at", name="open_before_cutoff"),
        CheckConstraint("pickup_start < pickup_end", name="pickup_window_order"),
    )

    id: Mapped[int] = mapped_column(BigID, primary_key=True)
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouses.id"), index=True)
    delivery_date: Mapped[date] = mapped_column(Date)  # in the platform's zone
    opens_at: Mapped[datetime] = mapped_column(UTCDateTime())
    cutoff_at: Mapped[datetime] = mapped_column(UTCDateTime())
    pickup_start: Mapped[time] = mapped_column(Time)  # residents collect, local time
    pickup_end: Mapped[time] = mapped_column(Time)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # Stamped by the cutoff job when it has frozen the campaign; running the
    # job again then changes nothing.
    cutoff_processed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Called off before its cutoff (fulfilment/live_campaigns/cancelling.py):
    # every order refunded or cancelled; the cutoff is stamped with it.
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Bumped by every edit of the campaign's own times (kernel/versioning.py).
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")


class CampaignItem(Base):
    """A product on sale in a campaign. ``reserved`` counts the units held by
    unpaid and paid orders; it only ever moves in one atomic UPDATE that also
    checks the cap, so the cap cannot be oversold."""

    __tablename__ = "campaign_items"
    __table_args__ = (
        UniqueConstraint("campaign_id", "product_id"),
        CheckConstraint("group_price_fen > 0 AND list_price_fen >= group_price_fen", name="prices"),
        CheckConstraint("reserved >= 0 AND (cap IS NULL OR reserved <= cap)", name="within_cap"),
        CheckConstraint("cap IS NULL OR cap > 0", name="cap_positive"),
        CheckConstraint(
            "per_customer_limit IS NULL OR per_customer_limit > 0", name="limit_positive"
        ),
        CheckConstraint(
            "group_threshold IS NULL OR group_threshold > 0", name="threshold_positive"
        ),
    )

    id: Mapped[int] = mapped_column(BigID, primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"), index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), index=True)
    group_price_fen: Mapped[int] = mapped_column(Integer)
    list_price_fen: Mapped[int] = mapped_column(Integer)
    cap: Mapped[int | None] = mapped_column(Integer)  # supplier capacity (限量)
    per_customer_limit: Mapped[int | None] = mapped_column(Integer)  # 限购
    group_threshold: Mapped[int | None] = mapped_column(Integer)  # 成团数
    reserved: Mapped[int] = mapped_column(Integer, default=0)
    # Set at cutoff when the item missed its group threshold (未成团).
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Bumped by each live edit (fulfilment/live_campaigns/): STALE otherwise.
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    # The operator took the item off the sale; cancelled_at is set with it.
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The item's own sale window inside its campaign's (a 秒杀 at 20:00, a
    # lot sold only until noon); None: from the opening, or to the cutoff.
    sale_starts_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    sale_ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class StorageZone(Enum):
    AMBIENT = "ambient"
    CHILLED = "chilled"
    FROZEN = "frozen"


# What every printed document calls each zone.
ZONE_NAMES = {StorageZone.AMBIENT: "常温", StorageZone.CHILLED: "冷藏", StorageZone.FROZEN: "冷冻"}


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
    # Pictures shown to residents, by URL (kernel/versioning.py: edits bump version).
    image_urls: Mapped[list[str]] = mapped_column(JsonType, default=list, server_default="[]")
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")


class Warehouse(Base):
    """A depot (中心仓/网格仓): suppliers deliver here, routes start here."""

    __tablename__ = "warehouses"
    __table_args__ = (
        CheckConstraint("lat BETWEEN -90 AND 90 AND lon BETWEEN -180 AND 180", name="wgs84"),
    )

    id: Mapped[int] = mapped_column(BigID, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    address: Mapped[str] = mapped_column(String(300))
    lat: Mapped[float] = mapped_column(Float)  # WGS-84
    lon: Mapped[float] = mapped_column(Float)  # WGS-84
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")


class ProductCost(Base):
    """The supplier's agreed cost of a product from a business date on
    (fulfilment/campaigns/costs.py): a purchase order for a delivery date
    takes the cost of the latest row on or before it."""

    __tablename__ = "product_costs"
    __table_args__ = (
        UniqueConstraint("product_id", "effective_from"),
        CheckConstraint("cost_fen >= 0", name="non_negative"),
    )

    id: Mapped[int] = mapped_column(BigID, primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"))
    effective_from: Mapped[date] = mapped_column(Date)  # business date, platform zone
    cost_fen: Mapped[int] = mapped_column(Integer)
    set_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    set_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ServiceArea(Base):
    """The warehouse that supplies a pickup point: its campaigns are the ones
    the point's customers can order from, and its trucks deliver there."""

    __tablename__ = "service_areas"

    pickup_point_id: Mapped[int] = mapped_column(ForeignKey("pickup_points.id"), primary_key=True)
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouses.id"), index=True)
    assigned_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
