"""A date's reconciliation as the client sees it: both sides' totals, the
counts, the mismatch lines (a connection) and the XLSX's link."""

from __future__ import annotations

from datetime import date, datetime

import strawberry

from api.graphql.context import Info
from api.graphql.pagination import Connection, paginate
from fulfilment.reconciliation.models import (
    LineKind,
    MismatchKind,
    ReconciliationMismatch,
    ReconciliationRun,
)
from fulfilment.reconciliation.queries import mismatch_page

MismatchKindEnum = strawberry.enum(MismatchKind, name="ReconciliationMismatchKind")
LineKindEnum = strawberry.enum(LineKind, name="ReconciliationLine")


def xlsx_path(bill_date: date) -> str:
    """The relative download URL of a date's workbook."""
    return f"/exports/reconciliation/{bill_date.isoformat()}.xlsx"


@strawberry.type(name="ReconciliationMismatch")
class MismatchType:
    kind: MismatchKindEnum  # type: ignore[valid-type]
    line: LineKindEnum = strawberry.field(  # type: ignore[valid-type]
        description="A payment (SUCCESS line) or a refund (REFUND line)."
    )
    out_trade_no: str | None = strawberry.field(description="The order's number.")
    transaction_id: str | None = strawberry.field(description="WeChat Pay's transaction id.")
    out_refund_no: str | None
    provider_refund_id: str | None = strawberry.field(description="WeChat Pay's refund id.")
    platform_record: int | None = strawberry.field(
        description="The platform's row: a payment notification's id, or a refund's."
    )
    provider_fen: int | None = strawberry.field(description="Null: not in the bill.")
    platform_fen: int | None = strawberry.field(description="Null: not booked here.")
    provider_state: str | None
    platform_state: str | None
    note: str | None

    @classmethod
    def of(cls, m: ReconciliationMismatch) -> MismatchType:
        return cls(
            kind=m.kind,
            line=m.line,
            out_trade_no=m.out_trade_no,
            transaction_id=m.transaction_id,
            out_refund_no=m.out_refund_no,
            provider_refund_id=m.provider_refund_id,
            platform_record=m.platform_id,
            provider_fen=m.provider_fen,
            platform_fen=m.platform_fen,
            provider_state=m.provider_state,
            platform_state=m.platform_state,
            note=m.note,
        )


@strawberry.type(name="Reconciliation")
class ReconciliationType:
    run_id: strawberry.Private[int]
    date: date = strawberry.field(description="The bill date (China time).")
    started_at: datetime
    finished_at: datetime
    provider_payments: int
    provider_refunds: int
    platform_payments: int
    platform_refunds: int
    matched: int
    mismatch_count: int = strawberry.field(description="Zero on a clean day.")
    provider_paid_fen: int
    provider_refunded_fen: int
    platform_paid_fen: int = strawberry.field(
        description="Over the lines reconciled for the date: equal to the provider's on a "
        "clean day."
    )
    platform_refunded_fen: int
    xlsx_url: str = strawberry.field(description="The day's workbook: summary and mismatches.")

    @classmethod
    def of(cls, run: ReconciliationRun) -> ReconciliationType:
        assert run.finished_at is not None  # only finished runs are results
        return cls(
            run_id=run.id,
            date=run.bill_date,
            started_at=run.started_at,
            finished_at=run.finished_at,
            provider_payments=run.provider_payments,
            provider_refunds=run.provider_refunds,
            platform_payments=run.platform_payments,
            platform_refunds=run.platform_refunds,
            matched=run.matched,
            mismatch_count=run.mismatches,
            provider_paid_fen=run.provider_paid_fen,
            provider_refunded_fen=run.provider_refunded_fen,
            platform_paid_fen=run.platform_paid_fen,
            platform_refunded_fen=run.platform_refunded_fen,
            xlsx_url=xlsx_path(run.bill_date),
        )

    @strawberry.field(description="The lines that did not match, in the order found.")
    async def mismatches(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[MismatchType]:
        session = info.context.session
        return await paginate(
            info,
            first,
            after,
            lambda after_id, limit: mismatch_page(session, self.run_id, after_id, limit),
            MismatchType.of,
        )
