"""The grid warehouse's handover (网格仓签收): its operator signs for the
central's trunk delivery of a day, once, reporting units of a product
missing or damaged. Those are refunded to the grid's customers by the
shortage rule (latest paid first, fulfilment/purchasing/shortages.py),
limited to the points the grid serves; an operator then says who is
charged for them (the carrier, the central warehouse or the supplier)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from fulfilment.delivery.grid_fees import reverse_for_handover
from fulfilment.delivery.models import (
    ChargedParty,
    DeliveryIssueKind,
    GridIssue,
    GridIssueRefund,
    GridReceipt,
)
from fulfilment.delivery.receipts import (
    IssueReport,
    check_reports,
    checked_note,
    invalid_report,
)
from fulfilment.network.errors import NetworkErrorCode
from fulfilment.network.grids import grid_by_id
from fulfilment.network.models import GridWarehouse
from fulfilment.orders.models import Refund, ShortfallReason
from fulfilment.orders.notices import tell_shortage_refunds
from fulfilment.purchasing.shortages import AllocationScope, ShortedLine, short_latest_paid
from fulfilment.sorting.grids import grid_pick_list
from fulfilment.sorting.models import GridLoad
from kernel.errors import DomainError, NotFound
from kernel.notifications import Gateway

_REASONS = {
    DeliveryIssueKind.MISSING: (ShortfallReason.DELIVERY_MISSING, "网格仓缺件"),
    DeliveryIssueKind.DAMAGED: (ShortfallReason.DELIVERY_DAMAGED, "网格仓破损"),
}


@dataclass(frozen=True)
class GridHandover:
    receipt: GridReceipt
    issues: list[tuple[GridIssue, list[ShortedLine]]]


async def _due_unsigned(
    session: AsyncSession, grid: GridWarehouse, delivery_date: date
) -> dict[int, int]:
    """The units of each product the trunk brings the grid that day; refused
    when stage one sorted nothing for it, or the day is signed already."""
    grid_id = grid.warehouse_id
    sent = await session.scalar(
        select(exists().where(GridLoad.grid_id == grid_id, GridLoad.delivery_date == delivery_date))
    )
    due = {
        line.product_id: line.units
        for line in await grid_pick_list(session, grid.central_id, delivery_date, grid_id)
    }
    if not sent or not due:
        raise DomainError(
            NetworkErrorCode.NOTHING_SENT,
            "The central warehouse sends this grid nothing that day.",
            ["deliveryDate"],
        )
    signed = await session.scalar(
        select(GridReceipt.id).where(
            GridReceipt.grid_id == grid_id, GridReceipt.delivery_date == delivery_date
        )
    )
    if signed is not None:
        raise DomainError(
            NetworkErrorCode.GRID_ALREADY_SIGNED,
            "This grid has signed for that day's delivery already.",
            ["deliveryDate"],
        )
    return due


async def sign_grid_handover(
    session: AsyncSession,
    signer_id: int,
    grid_id: int,
    delivery_date: date,
    issues: Sequence[IssueReport],
    *,
    note: str | None,
    now: datetime,
    gateway: Gateway | None = None,
) -> GridHandover:
    """Sign for what the central sent the grid that day, refunding the units
    reported missing or damaged; refused when nothing was sent (stage one
    sorted nothing for the grid), when the day was signed already, or for
    more units than came."""
    grid = await grid_by_id(session, grid_id, "gridId")
    note = checked_note(note)
    check_reports(issues, await _due_unsigned(session, grid, delivery_date), "came to the grid")
    receipt = GridReceipt(
        grid_id=grid_id,
        delivery_date=delivery_date,
        signed_by_id=signer_id,
        signed_at=now,
        note=note,
    )
    session.add(receipt)
    await session.flush()
    scope = AllocationScope(grid.central_id, delivery_date, grid_id=grid_id)
    booked = []
    for index, report in enumerate(issues):
        issue = GridIssue(
            receipt_id=receipt.id,
            product_id=report.product_id,
            kind=report.kind,
            quantity=report.quantity,
        )
        session.add(issue)
        await session.flush()
        reason, _ = _REASONS[report.kind]
        refunds = await short_latest_paid(
            session, scope, report.product_id, report.quantity, reason=reason, now=now
        )
        if sum(r.quantity for r in refunds) != report.quantity:
            # Units collected or refunded since the pick list was read.
            raise invalid_report(
                index, "quantity", "Fewer units are open at the grid now; sign again."
            )
        session.add_all(
            GridIssueRefund(refund_id=r.refund_id, grid_issue_id=issue.id) for r in refunds
        )
        booked.append((issue, refunds))
    # Units of points that signed first were in the grid's fee already.
    await reverse_for_handover(
        session, grid_id, delivery_date, [r for _, refunds in booked for r in refunds], now
    )
    for kind, (_, why) in _REASONS.items():
        refund_ids = [
            r.refund_id for issue, refunds in booked if issue.kind is kind for r in refunds
        ]
        await tell_shortage_refunds(session, refund_ids, why=why, gateway=gateway)
    await session.flush()
    return GridHandover(receipt, booked)


async def charge_grid_issue(
    session: AsyncSession, issue_id: int, party: ChargedParty, *, by: int, now: datetime
) -> GridIssue:
    """Say who bears the cost of a grid issue's units (changeable: the last
    word counts, and the audit log keeps every word)."""
    issue = await session.get(GridIssue, issue_id, with_for_update=True)
    if issue is None:
        raise NotFound("Grid issue", ["issueId"])
    issue.charged_to, issue.charged_by_id, issue.charged_at = party, by, now
    await session.flush()
    return issue


async def grid_receipt(
    session: AsyncSession, grid_id: int, delivery_date: date
) -> GridHandover | None:
    """The grid's signed handover of the day, with each issue's refunds."""
    receipt = await session.scalar(
        select(GridReceipt).where(
            GridReceipt.grid_id == grid_id, GridReceipt.delivery_date == delivery_date
        )
    )
    if receipt is None:
        return None
    issues = (
        await session.scalars(
            select(GridIssue).where(GridIssue.receipt_id == receipt.id).order_by(GridIssue.id)
        )
    ).all()
    refunds: dict[int, list[ShortedLine]] = {issue.id: [] for issue in issues}
    rows = await session.execute(
        select(GridIssueRefund.grid_issue_id, Refund)
        .join(Refund, Refund.id == GridIssueRefund.refund_id)
        .where(GridIssueRefund.grid_issue_id.in_(list(refunds)))
        .order_by(Refund.id)
    )
    for issue_id, refund in rows:
        refunds[issue_id].append(
            ShortedLine(
                refund.id,
                refund.order_id,
                refund.order_line_id or 0,
                refund.quantity or 0,
                refund.amount_fen,
            )
        )
    return GridHandover(receipt, [(issue, refunds[issue.id]) for issue in issues])
