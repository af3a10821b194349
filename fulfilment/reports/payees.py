"""Who a register's row pays: a leader, or a grid warehouse (网格仓) for its
fees per piece (the ledger's second book, leaders/commission/books.py). The
registers narrow both kinds by one rule, so a filtered register and its
per-day or per-period totals always count the same rows:

- ``leaderId``: that leader's rows only (a grid is no leader);
- ``warehouseId``: leaders whose point the warehouse serves (today's service
  area), and grids that are the warehouse or belong to it as their central.
"""

from __future__ import annotations

from enum import Enum
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, false, or_, select, true

from fulfilment.campaigns.models import ServiceArea
from fulfilment.network.models import GridWarehouse
from fulfilment.reports.filters import ReportFilter, refuse_filters
from leaders.points.models import PickupPoint


class PayeeKind(Enum):
    LEADER = "leader"
    GRID = "grid"


def check_payee_filter(given: ReportFilter) -> None:
    """Refuse the filters no payee has (DomainError INVALID)."""
    refuse_filters(given, "supplierId", "category")


def _served_leaders(warehouse_id: int) -> Select[Any]:
    return (
        select(PickupPoint.leader_id)
        .join(ServiceArea, ServiceArea.pickup_point_id == PickupPoint.id)
        .where(ServiceArea.warehouse_id == warehouse_id)
    )


def admits_leader(given: ReportFilter, leader_id: Any) -> ColumnElement[bool]:
    """Whether the filter admits the leader in column ``leader_id``."""
    conditions: list[ColumnElement[bool]] = []
    if given.leader_id is not None:
        conditions.append(leader_id == given.leader_id)
    if given.warehouse_id is not None:
        conditions.append(leader_id.in_(_served_leaders(given.warehouse_id)))
    return and_(true(), *conditions)


def admits_grid(given: ReportFilter, grid_id: Any) -> ColumnElement[bool]:
    """Whether the filter admits the grid warehouse in column ``grid_id``."""
    if given.leader_id is not None:
        return false()
    if given.warehouse_id is None:
        return true()
    # The grid itself even if it has since stopped being one (its row gone).
    centrals = select(GridWarehouse.warehouse_id).where(
        GridWarehouse.central_id == given.warehouse_id
    )
    return or_(grid_id == given.warehouse_id, grid_id.in_(centrals))


def admits_payee(given: ReportFilter, leader_id: Any, grid_id: Any) -> ColumnElement[bool]:
    """For a table naming either payee (exactly one of the two columns set)."""
    if given.leader_id is None and given.warehouse_id is None:
        return true()
    return or_(
        and_(leader_id.is_not(None), admits_leader(given, leader_id)),
        and_(grid_id.is_not(None), admits_grid(given, grid_id)),
    )
