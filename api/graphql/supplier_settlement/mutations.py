"""Supplier settlement mutations: issuing statements, approving them,
resolving disputes, pay batches and delivery faults (operators); confirming
and disputing lines (the statement's own supplier)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from api.graphql.context import Info
from api.graphql.delivery.types import DeliveryIssueKindEnum
from api.graphql.errors import UserError
from api.graphql.ids import decode
from api.graphql.permissions import viewer_supplier_id
from api.graphql.supplier_settlement.types import (
    SupplierPayBatchType,
    SupplierStatementLineType,
    SupplierStatementType,
)
from api.graphql.transactions import in_transaction
from fulfilment.supplier_settlement import (
    bank_accounts,
    disputes,
    faults,
    pay_batches,
    statements,
)
from fulfilment.supplier_settlement.models import (
    SupplierBankAccount,
    SupplierPayBatch,
    SupplierStatement,
    SupplierStatementLine,
)
from kernel.accounts import Role
from kernel.clock import utcnow


@strawberry.input
class SupplierStatementIssueInput:
    period_end: date = strawberry.field(
        description="The period's (exclusive) end; periods end every settlement period "
        "(weekly: Mondays) and are issued once they have ended."
    )
    supplier_id: strawberry.ID | None = strawberry.field(
        default=None, description="One supplier; null: every supplier with anything to settle."
    )


@strawberry.type
class SupplierStatementIssuePayload:
    statements: list[SupplierStatementType]
    user_errors: list[UserError]


async def supplier_statement_issue(
    info: Info, input: SupplierStatementIssueInput
) -> SupplierStatementIssuePayload:
    """Issue the period's statements; issuing again returns them unchanged.
    Each supplier's users are told their statement is ready."""
    operator = info.context.require(Role.OPERATOR)
    settings = info.context.settings

    async def work(session: AsyncSession) -> list[SupplierStatement]:
        supplier = (
            decode(input.supplier_id, "Supplier", ["supplierId"]) if input.supplier_id else None
        )
        return await statements.issue_statements(
            session, input.period_end, settings, supplier_id=supplier, by=operator, now=utcnow()
        )

    issued, errors = await in_transaction(info.context, work)
    return SupplierStatementIssuePayload(
        statements=[SupplierStatementType.of(s) for s in issued or []], user_errors=errors
    )


@strawberry.input
class SupplierStatementIdInput:
    id: strawberry.ID


@strawberry.type
class SupplierStatementPayload:
    statement: SupplierStatementType | None
    user_errors: list[UserError]


async def supplier_statement_approve(
    info: Info, input: SupplierStatementIdInput
) -> SupplierStatementPayload:
    """Approve a statement with no open dispute: its payable is fixed (a
    negative total is carried forward); nothing payable means PAID."""
    operator = info.context.require(Role.OPERATOR)

    async def work(session: AsyncSession) -> SupplierStatement:
        statement_id = decode(input.id, "SupplierStatement", ["id"])
        return await statements.approve_statement(session, statement_id, operator, utcnow())

    statement, errors = await in_transaction(info.context, work)
    return SupplierStatementPayload(
        statement=SupplierStatementType.of(statement) if statement else None, user_errors=errors
    )


@strawberry.input
class SupplierStatementLineInput:
    line_id: strawberry.ID


@strawberry.input
class SupplierStatementLineDisputeInput:
    line_id: strawberry.ID
    reason: str = strawberry.field(description="Why the supplier disagrees (1–500 characters).")


@strawberry.input
class SupplierDisputeResolveInput:
    line_id: strawberry.ID
    adjustment_fen: int = strawberry.field(
        description="Added to the line (0: the line stands as issued)."
    )
    note: str = strawberry.field(description="The resolution (1–500 characters).")


@strawberry.type
class SupplierStatementLinePayload:
    line: SupplierStatementLineType | None
    statement: SupplierStatementType | None
    user_errors: list[UserError]


LineWork = Callable[[AsyncSession, int], Awaitable[SupplierStatementLine]]


async def _line_change(info: Info, raw_id: str, change: LineWork) -> SupplierStatementLinePayload:
    async def work(session: AsyncSession) -> tuple[SupplierStatementLine, SupplierStatement]:
        line = await change(session, decode(raw_id, "SupplierStatementLine", ["lineId"]))
        statement = await session.get(SupplierStatement, line.statement_id)
        assert statement is not None
        return line, statement

    done, errors = await in_transaction(info.context, work)
    if done is None:
        return SupplierStatementLinePayload(line=None, statement=None, user_errors=errors)
    return SupplierStatementLinePayload(
        line=SupplierStatementLineType.of(done[0]),
        statement=SupplierStatementType.of(done[1]),
        user_errors=[],
    )


async def supplier_statement_line_confirm(
    info: Info, input: SupplierStatementLineInput
) -> SupplierStatementLinePayload:
    """The supplier agrees with a line of its issued statement."""
    info.context.require(Role.SUPPLIER)
    own = await viewer_supplier_id(info) or -1
    return await _line_change(
        info,
        input.line_id,
        lambda session, line_id: disputes.confirm_line(session, line_id, own, utcnow()),
    )


async def supplier_statement_line_dispute(
    info: Info, input: SupplierStatementLineDisputeInput
) -> SupplierStatementLinePayload:
    """The supplier disputes a line of its issued statement, saying why."""
    viewer = info.context.require(Role.SUPPLIER)
    own = await viewer_supplier_id(info) or -1
    return await _line_change(
        info,
        input.line_id,
        lambda session, line_id: disputes.dispute_line(
            session, line_id, own, input.reason, viewer, utcnow()
        ),
    )


async def supplier_dispute_resolve(
    info: Info, input: SupplierDisputeResolveInput
) -> SupplierStatementLinePayload:
    """An operator resolves a disputed line with an adjustment and a note."""
    operator = info.context.require(Role.OPERATOR)
    return await _line_change(
        info,
        input.line_id,
        lambda session, line_id: disputes.resolve_dispute(
            session, line_id, input.adjustment_fen, input.note, operator, utcnow()
        ),
    )


@strawberry.input
class SupplierPayBatchCreateInput:
    statement_ids: list[strawberry.ID] | None = strawberry.field(
        default=None, description="Approved statements to pay; null: every one waiting."
    )


@strawberry.input
class SupplierPayBatchIdInput:
    id: strawberry.ID


@strawberry.type
class SupplierPayBatchPayload:
    batch: SupplierPayBatchType | None
    user_errors: list[UserError]


def _batch(batch: SupplierPayBatch | None, errors: list[UserError]) -> SupplierPayBatchPayload:
    return SupplierPayBatchPayload(
        batch=SupplierPayBatchType.of(batch) if batch else None, user_errors=errors
    )


async def supplier_pay_batch_create(
    info: Info, input: SupplierPayBatchCreateInput
) -> SupplierPayBatchPayload:
    """Gather approved statements into a batch; its bank file is at
    ``batch.downloadUrl``."""
    operator = info.context.require(Role.OPERATOR)

    async def work(session: AsyncSession) -> SupplierPayBatch:
        ids = None
        if input.statement_ids is not None:
            ids = [
                decode(raw, "SupplierStatement", ["statementIds", str(i)])
                for i, raw in enumerate(input.statement_ids)
            ]
        return await pay_batches.create_batch(session, operator, utcnow(), ids)

    return _batch(*await in_transaction(info.context, work))


async def supplier_pay_batch_mark_paid(
    info: Info, input: SupplierPayBatchIdInput
) -> SupplierPayBatchPayload:
    """The bank paid the batch: its statements are PAID."""
    operator = info.context.require(Role.OPERATOR)

    async def work(session: AsyncSession) -> SupplierPayBatch:
        batch_id = decode(input.id, "SupplierPayBatch", ["id"])
        return await pay_batches.mark_batch_paid(session, batch_id, operator, utcnow())

    return _batch(*await in_transaction(info.context, work))


@strawberry.input
class SupplierDeliveryFaultRecordInput:
    route_stop_id: strawberry.ID = strawberry.field(description="The stop signed for.")
    product_id: strawberry.ID
    kind: DeliveryIssueKindEnum  # type: ignore[valid-type]
    reason: str = strawberry.field(description="Why the supplier is at fault (1–500).")


@strawberry.type
class SupplierDeliveryFaultRecordPayload:
    amount_fen: int | None = strawberry.field(description="Charged back at the agreed cost.")
    user_errors: list[UserError]


async def supplier_delivery_fault_record(
    info: Info, input: SupplierDeliveryFaultRecordInput
) -> SupplierDeliveryFaultRecordPayload:
    """Charge a reported delivery issue to the product's supplier: its next
    statement deducts it."""
    operator = info.context.require(Role.OPERATOR)

    async def work(session: AsyncSession) -> int:
        issue_id = await faults.issue_at_stop(
            session,
            decode(input.route_stop_id, "RouteStop", ["routeStopId"]),
            decode(input.product_id, "Product", ["productId"]),
            input.kind,
        )
        fault = await faults.record_delivery_fault(
            session, issue_id, input.reason, operator, utcnow()
        )
        return fault.amount_fen

    amount, errors = await in_transaction(info.context, work)
    return SupplierDeliveryFaultRecordPayload(amount_fen=amount, user_errors=errors)


@strawberry.input
class SupplierBankAccountSetInput:
    supplier_id: strawberry.ID
    account_name: str = strawberry.field(description="The payee, as the bank knows it.")
    bank_name: str = strawberry.field(description="The bank and branch (开户行).")
    account_number: str = strawberry.field(description="8–34 digits; spaces and dashes ignored.")


@strawberry.type
class SupplierBankAccountSetPayload:
    account_name: str | None
    bank_name: str | None
    account_number_tail: str | None = strawberry.field(
        description="The account number's last four digits."
    )
    user_errors: list[UserError]


async def supplier_bank_account_set(
    info: Info, input: SupplierBankAccountSetInput
) -> SupplierBankAccountSetPayload:
    """Set where a supplier is paid; pay batches need it."""
    operator = info.context.require(Role.OPERATOR)

    async def work(session: AsyncSession) -> SupplierBankAccount:
        return await bank_accounts.set_bank_account(
            session,
            decode(input.supplier_id, "Supplier", ["supplierId"]),
            account_name=input.account_name,
            bank_name=input.bank_name,
            account_number=input.account_number,
            by=operator,
            now=utcnow(),
        )

    account, errors = await in_transaction(info.context, work)
    if account is None:
        return SupplierBankAccountSetPayload(
            account_name=None, bank_name=None, account_number_tail=None, user_errors=errors
        )
    return SupplierBankAccountSetPayload(
        account_name=account.account_name,
        bank_name=account.bank_name,
        account_number_tail=account.account_number[-4:],
        user_errors=[],
    )
