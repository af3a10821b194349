"""The fleet and route plans (线路规划).

A plan is computed for one warehouse and delivery date; dispatchers may
keep several drafts, and one of them is published, after which it is
frozen. Times are stored in UTC; the solver works in seconds from the
delivery date's local midnight and the planner converts."""

from __future__ import annotations

from datetime import date, datetime, time
from enum import Enum

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Time,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from fulfilment.routing.solver.problem import DropReason
from kernel.clock import utcnow
from kernel.db import Base, BigID, UTCDateTime, enum_column


class VehicleType(Base):
    """A kind of truck a warehouse has ``count`` of."""

    __tablename__ = "vehicle_types"
    __table_args__ = (
        UniqueConstraint("warehouse_id", "name"),
        CheckConstraint(
            "capacity_g > 0 AND capacity_totes > 0 AND count >= 0 AND fixed_cost_fen >= 0 "
            "AND cost_per_km_fen >= 0 AND max_shift_minutes > 0",
            name="positive",
        ),
    )

    id: Mapped[int] = mapped_column(BigID, primary_key=True)
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouses.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    capacity_g: Mapped[int] = mapped_column(Integer)
    capacity_totes: Mapped[int] = mapped_column(Integer)
    count: Mapped[int] = mapped_column(Integer)
    fixed_cost_fen: Mapped[int] = mapped_column(Integer)
    cost_per_km_fen: Mapped[int] = mapped_column(Integer)
    shift_start: Mapped[time] = mapped_column(Time)  # local time, platform zone
    max_shift_minutes: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    # Bumped by every edit (kernel/versioning.py).
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    # A central warehouse's trunk trucks (干线) carry goods to its grid
    # warehouses at night; trunk plans use only these, delivery plans never.
    trunk: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class RoutingSettings(Base):
    """Per-warehouse timings of a stop: loading before the trucks leave, and
    the service time at a stop (a fixed part plus a part per tote)."""

    __tablename__ = "routing_settings"
    __table_args__ = (
        CheckConstraint(
            "loading_minutes >= 0 AND stop_fixed_s >= 0 AND stop_per_tote_s >= 0",
            name="non_negative",
        ),
    )

    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouses.id"), primary_key=True)
    loading_minutes: Mapped[int] = mapped_column(Integer, default=30)
    stop_fixed_s: Mapped[int] = mapped_column(Integer, default=300)
    stop_per_tote_s: Mapped[int] = mapped_column(Integer, default=20)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class RoutePlanStatus(Enum):
    PLANNING = "planning"  # the solver job is running
    DRAFT = "draft"  # may be edited and re-optimised
    PUBLISHED = "published"  # frozen; leaders were told their arrival time
    FAILED = "failed"  # the solver job failed; see the job's error


class PlanKind(Enum):
    DELIVERY = "delivery"  # a warehouse's vehicles to pickup points
    TRUNK = "trunk"  # a central's trucks to its grid warehouses (trunk.py)


class RoutePlan(Base):
    __tablename__ = "route_plans"
    __table_args__ = (
        # At most one published plan of each kind per warehouse and day.
        Index(
            "uq_route_plans_published",
            "warehouse_id",
            "delivery_date",
            "kind",
            unique=True,
            postgresql_where=text("status = 'published'"),
            sqlite_where=text("status = 'published'"),
        ),
        Index("ix_route_plans_warehouse_day", "warehouse_id", "delivery_date"),
    )

    id: Mapped[int] = mapped_column(BigID, primary_key=True)
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouses.id"))
    delivery_date: Mapped[date] = mapped_column(Date)
    status: Mapped[RoutePlanStatus] = mapped_column(
        enum_column(RoutePlanStatus, "route_plan_status")
    )
    # Bumped by every edit, so a dispatcher editing a stale view is refused.
    version: Mapped[int] = mapped_column(Integer, default=1)
    time_limit_s: Mapped[int] = mapped_column(Integer)
    job_id: Mapped[int | None] = mapped_column(ForeignKey("jobs.id"))
    # The plan this one re-optimised, if any.
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("route_plans.id"))
    distance_m: Mapped[int] = mapped_column(Integer, default=0)
    duration_s: Mapped[int] = mapped_column(Integer, default=0)
    cost_fen: Mapped[int] = mapped_column(Integer, default=0)
    vehicles_used: Mapped[int] = mapped_column(Integer, default=0)
    stops: Mapped[int] = mapped_column(Integer, default=0)
    first_solution_s: Mapped[float | None] = mapped_column()
    solve_s: Mapped[float | None] = mapped_column()
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    kind: Mapped[PlanKind] = mapped_column(
        enum_column(PlanKind, "route_plan_kind"),
        default=PlanKind.DELIVERY,
        server_default=PlanKind.DELIVERY.value,
    )
    # A grid warehouse's delivery plan: when the trunk's goods are unloaded
    # there, as the central's trunk plan had it when this plan was made (its
    # vans start no earlier); None on a grid's plan: no trunk plan yet.
    trunk_ready_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class Route(Base):
    """One vehicle's trip in a plan."""

    __tablename__ = "routes"
    __table_args__ = (UniqueConstraint("plan_id", "vehicle_type_id", "vehicle_number"),)

    id: Mapped[int] = mapped_column(BigID, primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("route_plans.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)  # 1, 2, ... within the plan
    vehicle_type_id: Mapped[int] = mapped_column(ForeignKey("vehicle_types.id"))
    vehicle_number: Mapped[int] = mapped_column(Integer)  # 1..count of its type
    departure_at: Mapped[datetime] = mapped_column(UTCDateTime())
    return_at: Mapped[datetime] = mapped_column(UTCDateTime())
    distance_m: Mapped[int] = mapped_column(Integer)
    weight_g: Mapped[int] = mapped_column(Integer)
    totes: Mapped[int] = mapped_column(Integer)
    # The driver the dispatcher gave this vehicle's trip, once the plan is
    # published; only they (and dispatchers) report at its stops.
    driver_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)


class RouteStop(Base):
    """A pickup point's place in a route, with the times the plan expects
    and, once the truck is out, what actually happened there."""

    __tablename__ = "route_stops"
    __table_args__ = (
        UniqueConstraint("plan_id", "pickup_point_id"),
        Index("ix_route_stops_route_position", "route_id", "position"),
    )

    id: Mapped[int] = mapped_column(BigID, primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("route_plans.id"))
    route_id: Mapped[int] = mapped_column(ForeignKey("routes.id"))
    position: Mapped[int] = mapped_column(Integer)  # 1-based within the route
    pickup_point_id: Mapped[int] = mapped_column(ForeignKey("pickup_points.id"), index=True)
    weight_g: Mapped[int] = mapped_column(Integer)
    totes: Mapped[int] = mapped_column(Integer)
    arrival_at: Mapped[datetime] = mapped_column(UTCDateTime())
    service_start_at: Mapped[datetime] = mapped_column(UTCDateTime())
    departure_at: Mapped[datetime] = mapped_column(UTCDateTime())
    load_g_after: Mapped[int] = mapped_column(Integer)
    totes_after: Mapped[int] = mapped_column(Integer)
    locked: Mapped[bool] = mapped_column(Boolean, default=False)
    # Filled in on the day (published plans only).
    arrived_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    handed_over_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class UnservedStop(Base):
    """A pickup point with goods that the plan could not serve, and why."""

    __tablename__ = "unserved_stops"
    __table_args__ = (UniqueConstraint("plan_id", "pickup_point_id"),)

    id: Mapped[int] = mapped_column(BigID, primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("route_plans.id"))
    pickup_point_id: Mapped[int] = mapped_column(ForeignKey("pickup_points.id"))
    reason: Mapped[DropReason] = mapped_column(enum_column(DropReason, "drop_reason"))
    weight_g: Mapped[int] = mapped_column(Integer)
    totes: Mapped[int] = mapped_column(Integer)


class TrunkStop(Base):
    """A grid warehouse's place in a trunk route (``RoutePlan.kind`` TRUNK):
    the goods stage one sorted for it, and the times the plan expects."""

    __tablename__ = "trunk_stops"
    __table_args__ = (
        UniqueConstraint("plan_id", "grid_id"),
        Index("ix_trunk_stops_route_position", "route_id", "position"),
    )

    id: Mapped[int] = mapped_column(BigID, primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("route_plans.id"))
    route_id: Mapped[int] = mapped_column(ForeignKey("routes.id"))
    position: Mapped[int] = mapped_column(Integer)  # 1-based within the route
    grid_id: Mapped[int] = mapped_column(ForeignKey("grid_warehouses.warehouse_id"), index=True)
    weight_g: Mapped[int] = mapped_column(Integer)
    totes: Mapped[int] = mapped_column(Integer)  # handling units: cases and totes
    arrival_at: Mapped[datetime] = mapped_column(UTCDateTime())
    service_start_at: Mapped[datetime] = mapped_column(UTCDateTime())
    departure_at: Mapped[datetime] = mapped_column(UTCDateTime())
    load_g_after: Mapped[int] = mapped_column(Integer)
    totes_after: Mapped[int] = mapped_column(Integer)
    locked: Mapped[bool] = mapped_column(Boolean, default=False)


class TrunkUnserved(Base):
    """A grid warehouse with goods that the trunk plan could not serve, and why."""

    __tablename__ = "trunk_unserved"
    __table_args__ = (UniqueConstraint("plan_id", "grid_id"),)

    id: Mapped[int] = mapped_column(BigID, primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("route_plans.id"))
    grid_id: Mapped[int] = mapped_column(ForeignKey("grid_warehouses.warehouse_id"))
    reason: Mapped[DropReason] = mapped_column(enum_column(DropReason, "trunk_drop_reason"))
    weight_g: Mapped[int] = mapped_column(Integer)
    totes: Mapped[int] = mapped_column(Integer)
