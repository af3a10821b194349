"""userCreate, userDisable, userEnable and userRoleSet: operators only."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from sqlalchemy.ext.asyncio import AsyncSession

from api.graphql.context import Info
from api.graphql.ids import decode
from api.graphql.staff.types import UserCreateInput, UserIdInput, UserPayload, UserRoleSetInput
from api.graphql.transactions import in_transaction
from api.graphql.users import UserType
from fulfilment.campaigns.models import Supplier, SupplierMember
from fulfilment.network.errors import NetworkErrorCode
from fulfilment.network.grids import grid_by_id
from fulfilment.network.models import GridOperator
from kernel.accounts import Role, User
from kernel.clock import utcnow
from kernel.errors import DomainError, NotFound
from kernel.identity import staff
from kernel.identity.staff_errors import StaffErrorCode


async def _payload(info: Info, work: Callable[[AsyncSession], Awaitable[User]]) -> UserPayload:
    user, errors = await in_transaction(info.context, work)
    return UserPayload(user=None if user is None else UserType.of(user), user_errors=errors)


async def _supplier_of(session: AsyncSession, input: UserCreateInput) -> int | None:
    """The supplier a new SUPPLIER account acts for. Checked here, not in
    kernel/identity/staff.py: the kernel does not know suppliers."""
    if input.role is not Role.SUPPLIER:
        return None
    if input.supplier_id is None:
        raise DomainError(
            StaffErrorCode.SUPPLIER_REQUIRED, "Name the supplier it acts for.", ["supplierId"]
        )
    supplier_id = decode(input.supplier_id, "Supplier", ["supplierId"])
    if await session.get(Supplier, supplier_id) is None:
        raise NotFound("Supplier", ["supplierId"])
    return supplier_id


async def _grid_of(session: AsyncSession, input: UserCreateInput) -> int | None:
    """The grid warehouse a new GRID_OPERATOR account runs (checked here
    for the same reason as a supplier's)."""
    if input.role is not Role.GRID_OPERATOR:
        return None
    if input.grid_id is None:
        raise DomainError(
            NetworkErrorCode.GRID_REQUIRED, "Name the grid warehouse it runs.", ["gridId"]
        )
    grid = await grid_by_id(session, decode(input.grid_id, "Warehouse", ["gridId"]), "gridId")
    return grid.warehouse_id


async def user_create(info: Info, input: UserCreateInput) -> UserPayload:
    """An operator creates a staff account; the person signs in with the
    phone and an SMS code."""
    operator = info.context.require(Role.OPERATOR)

    async def work(session: AsyncSession) -> User:
        supplier_id = await _supplier_of(session, input)
        grid_id = await _grid_of(session, input)
        user = await staff.create_staff(
            session, input.name, input.role, input.phone, operator, utcnow()
        )
        if supplier_id is not None:
            # As fulfilment's create_supplier_user records it, without the
            # token that function makes (this person signs in by SMS).
            session.add(SupplierMember(user_id=user.id, supplier_id=supplier_id))
        if grid_id is not None:
            session.add(GridOperator(user_id=user.id, grid_id=grid_id))
        await session.flush()
        return user

    return await _payload(info, work)


async def user_disable(info: Info, input: UserIdInput) -> UserPayload:
    """Disable an account: its tokens stop working at once."""
    operator = info.context.require(Role.OPERATOR)

    async def work(session: AsyncSession) -> User:
        user_id = decode(input.id, "User", ["id"])
        return await staff.disable_user(session, user_id, operator, utcnow())

    return await _payload(info, work)


async def user_enable(info: Info, input: UserIdInput) -> UserPayload:
    """Enable a disabled account; its person signs in again."""
    operator = info.context.require(Role.OPERATOR)

    async def work(session: AsyncSession) -> User:
        return await staff.enable_user(session, decode(input.id, "User", ["id"]), operator)

    return await _payload(info, work)


async def user_role_set(info: Info, input: UserRoleSetInput) -> UserPayload:
    """Move a staff member to another staff role."""
    operator = info.context.require(Role.OPERATOR)

    async def work(session: AsyncSession) -> User:
        user_id = decode(input.id, "User", ["id"])
        return await staff.change_role(session, user_id, input.role, operator)

    return await _payload(info, work)
