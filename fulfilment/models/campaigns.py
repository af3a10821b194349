"""Campaigns (团购活动) and their items."""

from __future__ import annotations

from datetime import date, datetime, time

from sqlalchemy import CheckConstraint, Date, ForeignKey, Integer, Time, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from kernel.clock import utcnow
from kernel.db import Base, BigID, UTCDateTime


class Campaign(Base):
    """One warehouse's sale for one delivery date."""

    __tablename__ = "campaigns"
    __table_args__ = (
        UniqueConstraint("warehouse_id", "delivery_date"),
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
