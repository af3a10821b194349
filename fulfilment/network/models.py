"""The network's tables. A grid warehouse is a warehouse (name, address,
location: fulfilment/campaigns) with a row here naming its central
warehouse; a warehouse without one is central, as every warehouse was before
the two tiers. A point a grid serves keeps its service area at the grid's
central warehouse, whose campaigns it orders from: purchasing stays central.
"""

from __future__ import annotations

from datetime import datetime, time

from sqlalchemy import CheckConstraint, ForeignKey, Integer, Time
from sqlalchemy.orm import Mapped, mapped_column

from kernel.clock import utcnow
from kernel.db import Base, UTCDateTime


class GridWarehouse(Base):
    """A grid warehouse (网格仓): receives its central warehouse's trunk
    inside its receiving window, sorts per point and runs the vans; its
    operator is paid ``piece_fee_fen`` per piece delivered."""

    __tablename__ = "grid_warehouses"
    __table_args__ = (
        CheckConstraint("warehouse_id <> central_id", name="not_its_own_central"),
        CheckConstraint("piece_fee_fen >= 0", name="fee_non_negative"),
        CheckConstraint("service_radius_m > 0", name="radius_positive"),
        CheckConstraint("receiving_start < receiving_end", name="receiving_window"),
    )

    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouses.id"), primary_key=True)
    central_id: Mapped[int] = mapped_column(ForeignKey("warehouses.id"), index=True)
    piece_fee_fen: Mapped[int] = mapped_column(Integer)
    # When the trunk may arrive (platform zone), e.g. 01:00–04:00.
    receiving_start: Mapped[time] = mapped_column(Time)
    receiving_end: Mapped[time] = mapped_column(Time)
    # How far from the grid a point may be for the grid to be proposed for it.
    service_radius_m: Mapped[int] = mapped_column(Integer)
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class GridPoint(Base):
    """A pickup point served through a grid warehouse; a point without a
    row is served by its central warehouse directly."""

    __tablename__ = "grid_points"

    pickup_point_id: Mapped[int] = mapped_column(ForeignKey("pickup_points.id"), primary_key=True)
    grid_id: Mapped[int] = mapped_column(ForeignKey("grid_warehouses.warehouse_id"), index=True)
    assigned_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class GridOperator(Base):
    """A GRID_OPERATOR account and the one grid warehouse it runs."""

    __tablename__ = "grid_operators"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    grid_id: Mapped[int] = mapped_column(ForeignKey("grid_warehouses.warehouse_id"), index=True)
    assigned_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
