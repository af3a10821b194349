"""A payment on PostgreSQL: one call of ``tuangou_book_payment`` (migration
0026), which locks the order, applies payment_rules.py's rules and writes
everything the payment writes. The function as the migrations leave it, to
read: payments_postgres.sql beside this module; the parity test holds it to
the Python rules SQLite runs."""

from __future__ import annotations

import secrets
from datetime import datetime
from functools import cache
from importlib import resources
from typing import Any

from sqlalchemy import bindparam, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.types import DateTime, Integer, String

from fulfilment.orders.models import PaymentOutcome
from fulfilment.orders.pickup_codes import MAX_DRAWS

FUNCTION_SQL = "payments_postgres.sql"

# What a booking answers: the outcome, its reason, the order named (if any).
Booked = tuple[PaymentOutcome, str | None, int | None]

_COLUMNS = "outcome, reason, order_id"
# asyncpg's own placeholders: the hot path sends it straight to the driver.
_CALL = f"SELECT {_COLUMNS} FROM tuangou_book_payment($1, $2, $3, $4, $5)"
# The same call through a session, which begins its transaction on the way.
_CALL_IN_SESSION = text(
    f"SELECT {_COLUMNS} FROM tuangou_book_payment(:number, :tx, :amount, :now, :codes)"
).bindparams(
    bindparam("number", type_=String()),
    bindparam("tx", type_=String()),
    bindparam("amount", type_=Integer()),
    bindparam("now", type_=DateTime(timezone=True)),
    bindparam("codes", type_=ARRAY(String())),
)

_CODE_DIGITS = 6


def drawn_codes() -> list[str]:
    """The pickup codes the function tries in turn (only one is usually
    needed, and only when the order becomes paid): MAX_DRAWS six-digit codes
    from the operating system's secure source, as pickup_codes.draw_code
    draws them. Cut from one number below 10**(6 * MAX_DRAWS), whose
    six-digit blocks are independent and uniform: one draw instead of twenty
    saves a fiftieth of a notification's CPU."""
    digits = _CODE_DIGITS * MAX_DRAWS
    drawn = f"{secrets.randbelow(10**digits):0{digits}d}"
    return [drawn[i : i + _CODE_DIGITS] for i in range(0, digits, _CODE_DIGITS)]


def _booked(row: Any) -> Booked:
    return PaymentOutcome(row[0]), row[1], row[2]


async def book_on_driver(
    driver: Any, number: str, amount_fen: int, transaction_id: str | None, now: datetime
) -> Booked:
    """Book on asyncpg's connection. With no transaction open on it, the call
    is a transaction of its own: one round trip, no BEGIN and COMMIT."""
    row = await driver.fetchrow(_CALL, number, transaction_id, amount_fen, now, drawn_codes())
    return _booked(row)


async def book_in_session(
    session: AsyncSession, number: str, amount_fen: int, transaction_id: str | None, now: datetime
) -> Booked:
    """Book in the session's unit of work (cash, a payment found by query):
    it commits or rolls back with the caller's other writes."""
    result = await session.execute(
        _CALL_IN_SESSION,
        {"number": number, "tx": transaction_id, "amount": amount_fen, "now": now,
         "codes": drawn_codes()},
    )  # fmt: skip
    return _booked(result.one())


@cache
def book_payment_function_sql() -> str:
    """payments_postgres.sql: ``tuangou_book_payment`` as the migrations leave
    it at head. Nothing runs it; the tests compare it with the database."""
    package = __name__.rpartition(".")[0]
    return resources.files(package).joinpath(FUNCTION_SQL).read_text(encoding="utf-8")
