"""The night's purchasing: campaignCutoff and purchaseOrdersConsolidate
(jobs), purchaseOrderConfirm (suppliers), receiptRecord and
purchaseOrderReceivingClose (warehouse), shortagesAllocate (a job)."""

from __future__ import annotations

from datetime import date
from typing import Any

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from api.graphql.context import Info
from api.graphql.errors import UserError, user_error
from api.graphql.ids import decode
from api.graphql.jobs.mutations import JobStartPayload, start_job
from api.graphql.permissions import viewer_supplier_id
from api.graphql.purchasing.types import PurchaseOrderType
from api.graphql.sorting.mutations import SortingRunInput, warehouse_day
from api.graphql.transactions import in_transaction
from fulfilment.purchasing import receiving
from fulfilment.purchasing.consolidation import check_all_cut_off
from fulfilment.purchasing.jobs import ALLOCATE, CONSOLIDATE, CUTOFF, cutoff_key, cutoff_payload
from fulfilment.purchasing.models import PurchaseOrder
from fulfilment.purchasing.shortages import ShortageSummary
from kernel.accounts import Role
from kernel.clock import utcnow
from kernel.errors import DomainError


@strawberry.input
class CampaignCutoffInput:
    id: strawberry.ID
    early: bool = strawberry.field(
        default=False, description="Close the campaign now, before its cutoff time."
    )


async def campaign_cutoff(info: Info, input: CampaignCutoffInput) -> JobStartPayload:
    """Cut a campaign off (and consolidate its day's purchase orders) as a
    job; starting it again, early or on time, returns the same job (a failed
    one runs again)."""
    info.context.require(Role.OPERATOR)
    try:
        campaign_id = decode(input.id, "Campaign", ["id"])
    except DomainError as exc:
        return JobStartPayload(job=None, user_errors=[user_error(exc)])

    async def payload(session: AsyncSession) -> dict[str, Any]:
        return await cutoff_payload(session, campaign_id, utcnow(), early=input.early)

    return await start_job(info, CUTOFF, payload, key=cutoff_key(campaign_id))


@strawberry.input
class PurchaseOrdersConsolidateInput:
    warehouse_id: strawberry.ID
    delivery_date: date


async def purchase_orders_consolidate(
    info: Info, input: PurchaseOrdersConsolidateInput
) -> JobStartPayload:
    """Consolidate again (after late cancellations): changed POs get a new
    revision, unchanged ones keep theirs."""
    info.context.require(Role.OPERATOR)

    async def payload(session: AsyncSession) -> dict[str, Any]:
        day = await warehouse_day(session, input.warehouse_id, input.delivery_date)
        await check_all_cut_off(session, day["warehouse_id"], input.delivery_date)
        return day

    return await start_job(info, CONSOLIDATE, payload)


@strawberry.input
class ConfirmLineInput:
    product_id: strawberry.ID
    units: int = strawberry.field(description="Units the supplier will deliver.")


@strawberry.input
class PurchaseOrderConfirmInput:
    id: strawberry.ID
    lines: list[ConfirmLineInput]


@strawberry.type
class PurchaseOrderPayload:
    purchase_order: PurchaseOrderType | None
    shorted_units: int = strawberry.field(
        default=0, description="Units this step found short, allocated and refunded."
    )
    user_errors: list[UserError]


def _payload(
    result: tuple[PurchaseOrder, ShortageSummary] | None, errors: list[UserError]
) -> PurchaseOrderPayload:
    if result is None:
        return PurchaseOrderPayload(purchase_order=None, user_errors=errors)
    po, summary = result
    return PurchaseOrderPayload(
        purchase_order=PurchaseOrderType.of(po), shorted_units=summary.units, user_errors=[]
    )


async def purchase_order_confirm(
    info: Info, input: PurchaseOrderConfirmInput
) -> PurchaseOrderPayload:
    """A supplier confirms lines in full or in part; a short confirmation is
    allocated to order lines and refunded at once."""
    info.context.require(Role.SUPPLIER)
    own = await viewer_supplier_id(info)

    async def work(session: AsyncSession) -> tuple[PurchaseOrder, ShortageSummary]:
        po_id = decode(input.id, "PurchaseOrder", ["id"])
        units = {
            decode(line.product_id, "Product", ["lines", str(i), "productId"]): line.units
            for i, line in enumerate(input.lines)
        }
        return await receiving.confirm(session, po_id, own or -1, units, utcnow())

    return _payload(*await in_transaction(info.context, work))


@strawberry.input
class ReceiptRecordInput:
    purchase_order_id: strawberry.ID
    product_id: strawberry.ID
    received_units: int
    accepted_units: int = strawberry.field(description="Of the units received, those passing QC.")
    delivery_ref: str = ""


async def receipt_record(info: Info, input: ReceiptRecordInput) -> PurchaseOrderPayload:
    """Warehouse staff record one delivery of one product."""
    operator = info.context.require(Role.OPERATOR, Role.WAREHOUSE)

    async def work(session: AsyncSession) -> tuple[PurchaseOrder, ShortageSummary]:
        po_id = decode(input.purchase_order_id, "PurchaseOrder", ["purchaseOrderId"])
        await receiving.record_receipt(
            session,
            po_id,
            decode(input.product_id, "Product", ["productId"]),
            received=input.received_units,
            accepted=input.accepted_units,
            delivery_ref=input.delivery_ref,
            by=operator,
            now=utcnow(),
        )
        po = await session.get(PurchaseOrder, po_id)
        assert po is not None
        return po, ShortageSummary(0, 0, 0, 0)

    return _payload(*await in_transaction(info.context, work))


@strawberry.input
class PurchaseOrderIdInput:
    id: strawberry.ID


async def purchase_order_receiving_close(
    info: Info, input: PurchaseOrderIdInput
) -> PurchaseOrderPayload:
    """No more deliveries: what did not arrive or failed QC is short."""
    info.context.require(Role.OPERATOR, Role.WAREHOUSE)

    async def work(session: AsyncSession) -> tuple[PurchaseOrder, ShortageSummary]:
        return await receiving.close_receiving(
            session, decode(input.id, "PurchaseOrder", ["id"]), utcnow()
        )

    return _payload(*await in_transaction(info.context, work))


async def shortages_allocate(info: Info, input: SortingRunInput) -> JobStartPayload:
    """Allocate the day's shortages again (after more goods arrived, or to
    be sure): only what is not yet allocated is added."""
    info.context.require(Role.OPERATOR)

    async def payload(session: AsyncSession) -> dict[str, Any]:
        day = await warehouse_day(session, input.warehouse_id, input.delivery_date)
        await check_all_cut_off(session, day["warehouse_id"], input.delivery_date)
        return day

    return await start_job(info, ALLOCATE, payload)
