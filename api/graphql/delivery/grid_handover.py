"""The grid warehouse's handover in the API: its operator signs for the
central's trunk delivery (gridHandoverSign); an operator says who is
charged for what was missing or damaged (gridIssueCharge)."""

from __future__ import annotations

from datetime import date, datetime

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from api.graphql.campaigns.types import ProductType, product_of
from api.graphql.context import Info
from api.graphql.delivery.mutations import DeliveryIssueInput
from api.graphql.delivery.types import DeliveryIssueKindEnum
from api.graphql.errors import UserError, forbidden
from api.graphql.ids import decode, encode
from api.graphql.transactions import in_transaction
from fulfilment.delivery.grid_handover import GridHandover, charge_grid_issue, sign_grid_handover
from fulfilment.delivery.models import ChargedParty, GridIssue
from fulfilment.delivery.receipts import IssueReport
from fulfilment.network.queries import operated_grid
from kernel.accounts import Role
from kernel.clock import utcnow
from kernel.notifications import gateway_from

ChargedPartyEnum = strawberry.enum(ChargedParty, name="ChargedParty")


@strawberry.type(name="GridIssue")
class GridIssueType:
    id: strawberry.ID
    kind: DeliveryIssueKindEnum  # type: ignore[valid-type]
    quantity: int
    charged_to: ChargedPartyEnum | None  # type: ignore[valid-type]
    refunded_fen: int = strawberry.field(description="Refunded to the grid's customers for it.")
    product_id: strawberry.Private[int]

    @classmethod
    def of(cls, issue: GridIssue, refunded_fen: int) -> GridIssueType:
        return cls(
            id=strawberry.ID(encode("GridIssue", issue.id)),
            kind=issue.kind,
            quantity=issue.quantity,
            charged_to=issue.charged_to,
            refunded_fen=refunded_fen,
            product_id=issue.product_id,
        )

    @strawberry.field
    async def product(self, info: Info) -> ProductType | None:
        return await product_of(info, self.product_id)


@strawberry.type(name="GridReceipt")
class GridReceiptType:
    delivery_date: date
    signed_at: datetime
    note: str | None
    issues: list[GridIssueType]


@strawberry.input
class GridHandoverSignInput:
    grid_id: strawberry.ID = strawberry.field(description="Your grid warehouse.")
    delivery_date: date
    issues: list[DeliveryIssueInput] = strawberry.field(
        default_factory=list,
        description="Units missing or damaged per product; refunded to the grid's customers.",
    )
    note: str | None = None


@strawberry.type
class GridHandoverSignPayload:
    receipt: GridReceiptType | None
    user_errors: list[UserError]


def receipt_of(done: GridHandover) -> GridReceiptType:
    return GridReceiptType(
        delivery_date=done.receipt.delivery_date,
        signed_at=done.receipt.signed_at,
        note=done.receipt.note,
        issues=[
            GridIssueType.of(issue, sum(r.amount_fen for r in refunds))
            for issue, refunds in done.issues
        ],
    )


async def grid_handover_sign(info: Info, input: GridHandoverSignInput) -> GridHandoverSignPayload:
    """The grid operator signs for the day's trunk delivery (网格仓签收), once;
    missing and damaged units are refunded to the grid's customers, latest
    paid first. Another grid's handover: FORBIDDEN."""
    ctx = info.context
    signer = ctx.require(Role.GRID_OPERATOR)

    async def work(session: AsyncSession) -> GridReceiptType:
        grid_id = decode(input.grid_id, "Warehouse", ["gridId"])
        if await operated_grid(session, signer.id) != grid_id:
            raise forbidden()
        issues = [
            IssueReport(
                decode(issue.product_id, "Product", ["issues", str(index), "productId"]),
                issue.kind,
                issue.quantity,
            )
            for index, issue in enumerate(input.issues)
        ]
        done = await sign_grid_handover(
            session,
            signer.id,
            grid_id,
            input.delivery_date,
            issues,
            note=input.note,
            now=utcnow(),
            gateway=gateway_from(ctx.settings),
        )
        return receipt_of(done)

    receipt, errors = await in_transaction(ctx, work)
    return GridHandoverSignPayload(receipt=receipt, user_errors=errors)


@strawberry.input
class GridIssueChargeInput:
    issue_id: strawberry.ID
    charged_to: ChargedPartyEnum  # type: ignore[valid-type]


@strawberry.type
class GridIssueChargePayload:
    charged_to: ChargedPartyEnum | None  # type: ignore[valid-type]
    user_errors: list[UserError]


async def grid_issue_charge(info: Info, input: GridIssueChargeInput) -> GridIssueChargePayload:
    """Say who bears the cost of a grid issue: the carrier, the central
    warehouse or the supplier."""
    operator = info.context.require(Role.OPERATOR)

    async def work(session: AsyncSession) -> ChargedParty | None:
        issue_id = decode(input.issue_id, "GridIssue", ["issueId"])
        issue = await charge_grid_issue(
            session, issue_id, input.charged_to, by=operator.id, now=utcnow()
        )
        return issue.charged_to

    charged, errors = await in_transaction(info.context, work)
    return GridIssueChargePayload(charged_to=charged, user_errors=errors)
