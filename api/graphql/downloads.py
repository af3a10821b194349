"""The download links the GraphQL types hand out. ``api/http/downloads.py``
serves them; its routes spell the same paths."""

from __future__ import annotations

from datetime import date

from api.graphql.ids import encode


def purchase_order_path(purchase_order_id: int, fmt: str, revision: int | None = None) -> str:
    """The relative download URL of a purchase order (a revision of it)."""
    path = f"/exports/purchase-orders/{encode('PurchaseOrder', purchase_order_id)}.{fmt}"
    return path if revision is None else f"{path}?revision={revision}"


def route_sheet_path(plan_id: int, number: int, fmt: str) -> str:
    """The relative download URL of a route's sheet (``csv`` or ``pdf``)."""
    return f"/exports/route-plans/{encode('RoutePlan', plan_id)}/routes/{number}.{fmt}"


def route_loading_path(plan_id: int, number: int) -> str:
    """The relative download URL of a route's loading detail (PDF)."""
    return f"{route_sheet_path(plan_id, number, 'pdf')}?kind=loading"


def route_map_path(plan_id: int) -> str:
    """The relative URL of a plan's picture (SVG)."""
    return f"/exports/route-plans/{encode('RoutePlan', plan_id)}/map.svg"


def network_map_path(central_id: int, day: date) -> str:
    """The relative URL of a central warehouse's day with both tiers (SVG)."""
    return f"/exports/network-maps/{encode('Warehouse', central_id)}/{day.isoformat()}.svg"


def grid_document_path(grid_id: int, day: date, kind: str, fmt: str) -> str:
    """The relative download URL of a grid's stage-one document: its pick
    list (``pick-list``: csv, xlsx) or its handling units' labels (``labels``: pdf)."""
    return (
        f"/exports/grid-documents/{encode('Warehouse', grid_id)}/{day.isoformat()}.{fmt}"
        f"?kind={kind}"
    )


def payout_batch_path(batch_id: int) -> str:
    """The relative download URL of a batch's transfer file (CSV)."""
    return f"/exports/payout-batches/{encode('PayoutBatch', batch_id)}.csv"
