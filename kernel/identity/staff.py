"""Staff accounts, kept by operators: create one with a phone to sign in
with (kernel/identity/signin.py), disable and enable it, change its role,
and find accounts by name or phone. Never commits."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from kernel.accounts import ApiToken, Role, User
from kernel.errors import CommonErrorCode, DomainError, NotFound
from kernel.identity.errors import IdentityErrorCode
from kernel.identity.models import AuthSession
from kernel.identity.phones import normalise_phone
from kernel.identity.sessions import revoke_family
from kernel.identity.staff_errors import StaffErrorCode

# Roles an operator may give when creating an account. A supplier account
# also needs its supplier, and a grid operator's its grid warehouse, which
# the caller records (kernel cannot import fulfilment): see
# api/graphql/staff/mutations.py.
CREATABLE_ROLES = frozenset(
    {
        Role.OPERATOR,
        Role.DISPATCHER,
        Role.WAREHOUSE,
        Role.DRIVER,
        Role.SUPPLIER,
        Role.GRID_OPERATOR,
    }
)
# Roles a role change may go from and to: a supplier account is tied to its
# supplier, customers and leaders are not staff.
CHANGEABLE_ROLES = frozenset({Role.OPERATOR, Role.DISPATCHER, Role.WAREHOUSE, Role.DRIVER})


def _clean_name(name: str) -> str:
    name = name.strip()
    if not name or len(name) > 100:
        raise DomainError(
            CommonErrorCode.INVALID, "A name of 1 to 100 characters is required.", ["name"]
        )
    return name


async def _phone_free(session: AsyncSession, phone: str) -> None:
    taken = await session.scalar(select(User.id).where(User.phone == phone))
    if taken is not None:
        raise DomainError(
            IdentityErrorCode.PHONE_TAKEN, "Another account signs in with this phone.", ["phone"]
        )


async def create_staff(
    session: AsyncSession, name: str, role: Role, phone: str, by: User, now: datetime
) -> User:
    """A staff account that signs in with ``phone`` and its SMS code; no
    token is made (the person signs in themselves). ``by`` is the operator,
    for the audit log to come."""
    if role not in CREATABLE_ROLES:
        raise DomainError(
            StaffErrorCode.NOT_STAFF_ROLE, f"{role.name} accounts are not made here.", ["role"]
        )
    name = _clean_name(name)
    national = normalise_phone(phone)
    await _phone_free(session, national)
    user = User(name=name, role=role, phone=national, created_at=now)
    session.add(user)
    # The unique index still decides a race between two creations; the
    # check above gives the usual case its user error.
    await session.flush()
    return user


async def _other_user(session: AsyncSession, user_id: int, by: User) -> User:
    if user_id == by.id:
        raise DomainError(StaffErrorCode.SELF_CHANGE, "You cannot change your own account.", ["id"])
    user = await session.get(User, user_id, with_for_update=True)
    if user is None:
        raise NotFound("User", ["id"])
    return user


async def disable_user(session: AsyncSession, user_id: int, by: User, now: datetime) -> User:
    """Disable an account: its tokens stop working at once (the bearer check
    refuses disabled users) and every token and session is revoked too, so
    enabling it later does not bring back a token that may have leaked."""
    user = await _other_user(session, user_id, by)
    if user.disabled_at is not None:
        return user  # already disabled: the first time stands
    user.disabled_at = now
    families = await session.scalars(
        select(AuthSession.id).where(
            AuthSession.user_id == user.id, AuthSession.revoked_at.is_(None)
        )
    )
    for family_id in list(families):
        await revoke_family(session, family_id, "disabled", now)
    # Service tokens (made by the CLI) belong to no session.
    await session.execute(
        update(ApiToken)
        .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    await session.flush()
    return user


async def enable_user(session: AsyncSession, user_id: int, by: User) -> User:
    """Enable a disabled account; the person signs in again with a code."""
    user = await _other_user(session, user_id, by)
    user.disabled_at = None
    await session.flush()
    return user


async def change_role(session: AsyncSession, user_id: int, role: Role, by: User) -> User:
    """Move a staff member between operator, dispatcher, warehouse and
    driver. The change applies to their next request: the bearer check reads
    the role each time."""
    user = await _other_user(session, user_id, by)
    if role not in CHANGEABLE_ROLES or user.role not in CHANGEABLE_ROLES:
        raise DomainError(
            StaffErrorCode.NOT_STAFF_ROLE,
            "Only operators, dispatchers, warehouse staff and drivers change roles.",
            ["role"],
        )
    user.role = role
    await session.flush()
    return user


async def search_users(
    session: AsyncSession,
    query: str | None,
    role: Role | None,
    after_id: int | None,
    limit: int,
) -> Sequence[User]:
    """Users whose name contains ``query`` or whose phone starts with it
    (typed with or without +86), optionally of one role; ordered by id and
    paged by keyset (ids above ``after_id``)."""
    stmt = select(User).order_by(User.id).limit(limit)
    if after_id is not None:
        stmt = stmt.where(User.id > after_id)
    if role is not None:
        stmt = stmt.where(User.role == role)
    text = (query or "").strip()
    if text:
        matches = [User.name.contains(text, autoescape=True)]
        digits = "".join(c for c in text.removeprefix("+86") if c.isdigit())
        if digits and not any(c.isalpha() for c in text):
            matches.append(User.phone.startswith(digits))
        stmt = stmt.where(or_(*matches))
    return (await session.scalars(stmt)).all()
