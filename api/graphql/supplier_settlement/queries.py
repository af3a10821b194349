"""Query fields of supplier settlement: statements, for operators and for
the supplier they belong to."""

from __future__ import annotations

import strawberry

from api.graphql.context import Info
from api.graphql.errors import forbidden
from api.graphql.ids import decode_argument
from api.graphql.pagination import Connection, paginate
from api.graphql.permissions import viewer_supplier_id
from api.graphql.supplier_settlement.types import (
    SupplierStatementStateEnum,
    SupplierStatementType,
)
from fulfilment.supplier_settlement.models import StatementState, SupplierStatement
from fulfilment.supplier_settlement.queries import list_statements
from kernel.accounts import Role


async def _scope(info: Info, supplier_id: strawberry.ID | None) -> int | None:
    """The supplier whose statements the viewer reads: any (or the one
    named) for operators, only their own for a supplier's account."""
    viewer = info.context.require(Role.OPERATOR, Role.SUPPLIER)
    named = decode_argument(supplier_id, "Supplier", ["supplierId"]) if supplier_id else None
    if viewer.role is Role.OPERATOR:
        return named
    own = await viewer_supplier_id(info) or -1
    if named is not None and named != own:
        # Asking for another supplier's statements by name is not allowed.
        raise forbidden()
    return own


@strawberry.type
class SupplierSettlementQuery:
    @strawberry.field(
        description="Supplier statements, oldest first: all (or one supplier's) for "
        "operators, their own for suppliers (another supplier's: FORBIDDEN)."
    )
    async def supplier_statements(
        self,
        info: Info,
        supplier_id: strawberry.ID | None = None,
        state: SupplierStatementStateEnum | None = None,  # type: ignore[valid-type]
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[SupplierStatementType]:
        scope = await _scope(info, supplier_id)
        wanted: StatementState | None = state
        return await paginate(
            info,
            first,
            after,
            lambda after_id, limit: list_statements(
                info.context.session,
                supplier_id=scope,
                state=wanted,
                after_id=after_id,
                limit=limit,
            ),
            SupplierStatementType.of,
        )

    @strawberry.field(description="One statement; another supplier's reads as missing (null).")
    async def supplier_statement(
        self, info: Info, id: strawberry.ID
    ) -> SupplierStatementType | None:
        scope = await _scope(info, None)
        statement_id = decode_argument(id, "SupplierStatement", ["id"])
        async with info.context.loaders.lock:
            row = await info.context.session.get(SupplierStatement, statement_id)
        if row is None or (scope is not None and row.supplier_id != scope):
            return None
        return SupplierStatementType.of(row)
