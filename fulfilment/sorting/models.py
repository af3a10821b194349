"""What each pickup point gets on a delivery date, as sorted (分拣)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, Integer, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from fulfilment.campaigns.models import StorageZone
from kernel.clock import utcnow
from kernel.db import Base, BigID, UTCDateTime, enum_column


class PickupPointLoad(Base):
    """One pickup point's goods in one storage zone: the demand route
    planning works with (weight, totes). Rewritten by each sorting run."""

    __tablename__ = "pickup_point_loads"
    __table_args__ = (
        UniqueConstraint("warehouse_id", "delivery_date", "pickup_point_id", "storage_zone"),
        CheckConstraint("units > 0 AND totes >= 1", name="positive"),
    )

    id: Mapped[int] = mapped_column(BigID, primary_key=True)
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouses.id"))
    delivery_date: Mapped[date] = mapped_column(Date)
    pickup_point_id: Mapped[int] = mapped_column(ForeignKey("pickup_points.id"), index=True)
    storage_zone: Mapped[StorageZone] = mapped_column(enum_column(StorageZone, "storage_zone"))
    units: Mapped[int] = mapped_column(Integer)
    weight_g: Mapped[int] = mapped_column(Integer)
    volume_ml: Mapped[int] = mapped_column(Integer)
    totes: Mapped[int] = mapped_column(Integer)
    sorted_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class GridLoad(Base):
    """Stage one of two-tier sorting (fulfilment/sorting/grids.py): what the
    central warehouse sends one grid warehouse in one storage zone, as full
    cases (travelling as the supplier packed them) and loose units in totes.
    ``handling_units`` (cases + totes) is what a trunk truck carries.
    Rewritten by each sorting run of the central."""

    __tablename__ = "grid_loads"
    __table_args__ = (
        UniqueConstraint("central_id", "delivery_date", "grid_id", "storage_zone"),
        CheckConstraint(
            "units > 0 AND cases >= 0 AND loose_units >= 0 AND totes >= 0 AND handling_units >= 1",
            name="positive",
        ),
    )

    id: Mapped[int] = mapped_column(BigID, primary_key=True)
    central_id: Mapped[int] = mapped_column(ForeignKey("warehouses.id"))
    delivery_date: Mapped[date] = mapped_column(Date)
    grid_id: Mapped[int] = mapped_column(ForeignKey("grid_warehouses.warehouse_id"), index=True)
    storage_zone: Mapped[StorageZone] = mapped_column(enum_column(StorageZone, "storage_zone"))
    units: Mapped[int] = mapped_column(Integer)
    cases: Mapped[int] = mapped_column(Integer)
    loose_units: Mapped[int] = mapped_column(Integer)
    weight_g: Mapped[int] = mapped_column(Integer)
    volume_ml: Mapped[int] = mapped_column(Integer)
    totes: Mapped[int] = mapped_column(Integer)  # for the loose units
    handling_units: Mapped[int] = mapped_column(Integer)
    sorted_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
