"""Supplier settlement's downloads, with ``api.http.downloads``' helpers
(its authentication, refusals and file headers):

* ``/exports/supplier-pay-batches/{id}.csv``: a supplier pay batch's bank
  file (operators);
* ``/exports/supplier-returns/{purchase_order_id}.{csv|pdf}``: a purchase
  order's return-to-supplier document (operators, warehouse staff and the
  PO's own supplier; anyone else: 404 like a missing PO).
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from api.http import downloads as shared
from fulfilment.purchasing.models import PurchaseOrder
from fulfilment.supplier_settlement.models import SupplierPayBatch
from fulfilment.supplier_settlement.pay_batches import batch_rows
from fulfilment.supplier_settlement.returns import return_document, return_pdf, return_rows
from kernel.accounts import Role, User
from kernel.tables import Rows, Yuan, to_csv

PAY_BATCH_HEADER = (
    "批次号",
    "对账单号",
    "供应商编号",
    "供应商",
    "联系人",
    "联系电话",
    "收款户名",
    "开户行",
    "收款账号",
    "结算期间",
    "付款金额(元)",
)


RETURN_FORMATS = ("csv", "pdf")


async def supplier_pay_batch_file(
    request: Request, viewer: User, session: AsyncSession
) -> Response:
    batch_id = shared._id(request, "id", "SupplierPayBatch")
    batch = await session.get(SupplierPayBatch, batch_id) if viewer.role is Role.OPERATOR else None
    if batch is None:
        raise shared._not_found()
    rows = Rows()
    rows.header(PAY_BATCH_HEADER)
    for r in await batch_rows(session, batch.id):
        # The period as people say it: its first and last day.
        last = r.period_end - timedelta(days=1)
        period = f"{r.period_start.isoformat()}~{last.isoformat()}"
        rows.add(
            batch.id,
            r.statement_id,
            r.supplier_id,
            r.supplier,
            r.contact_name,
            r.contact_phone,
            r.account_name,
            r.bank_name,
            r.account_number,
            period,
            Yuan(r.payable_fen),
        )
    day = batch.created_at.astimezone(request.app.state.settings.zone).date().isoformat()
    return shared._download(
        rows,
        "csv",
        f"供应商付款批次 {batch.id}",
        f"supplier-pay-batch-{batch.id}-{day}",
        f"供应商付款批次-{batch.id}-{day}",
    )


async def supplier_return_file(request: Request, viewer: User, session: AsyncSession) -> Response:
    fmt = shared._format(request, RETURN_FORMATS)
    po_id = shared._id(request, "id", "PurchaseOrder")
    po = await session.get(PurchaseOrder, po_id)
    allowed = viewer.role in (Role.OPERATOR, Role.WAREHOUSE) or (
        viewer.role is Role.SUPPLIER
        and po is not None
        and po.supplier_id == await shared.viewer_supplier_id(session, viewer)
    )
    if po is None or not allowed:
        raise shared._not_found()
    doc = await return_document(session, po.id)
    day = po.delivery_date.isoformat()
    ascii_name = f"supplier-return-{po.id}-{day}.{fmt}"
    name = f"退供单-{po.id}-{day}.{fmt}"
    if fmt == "pdf":
        return shared._file(return_pdf(doc), shared.PDF, ascii_name, name)
    return shared._file(to_csv(return_rows(doc)), shared.CONTENT_TYPES["csv"], ascii_name, name)


def supplier_export_routes() -> list[Route]:
    """The routes above, beside ``api.http.downloads.export_routes``."""
    return [
        Route("/exports/supplier-pay-batches/{id}.csv", shared._endpoint(supplier_pay_batch_file)),
        Route("/exports/supplier-returns/{id}.{fmt}", shared._endpoint(supplier_return_file)),
    ]
