"""Opaque Relay global IDs, decoded with a check of the type they name."""

from __future__ import annotations

from strawberry.relay import GlobalID, GlobalIDValueError

from api.graphql.errors import bad_input
from kernel.errors import CommonErrorCode, DomainError

MAX_DB_ID = 2**63 - 1


def encode(type_name: str, db_id: int) -> str:
    return str(GlobalID(type_name, str(db_id)))


def decode(value: str, expected_type: str, field: list[str]) -> int:
    """The database id inside ``value``; a malformed ID, or one of another
    type, is an INVALID_ID user error (it never reaches the database)."""
    try:
        gid = GlobalID.from_id(value)
    except (GlobalIDValueError, ValueError, TypeError) as exc:
        raise DomainError(CommonErrorCode.INVALID_ID, "Malformed ID.", field) from exc
    # isascii: str.isdigit() is also true of "²" and other digits int() refuses.
    if gid.type_name != expected_type or not (gid.node_id.isascii() and gid.node_id.isdigit()):
        raise DomainError(
            CommonErrorCode.INVALID_ID, f"Expected the ID of a {expected_type}.", field
        )
    db_id = int(gid.node_id)
    if not 0 < db_id <= MAX_DB_ID:
        raise DomainError(CommonErrorCode.INVALID_ID, "Malformed ID.", field)
    return db_id


def decode_argument(value: str, expected_type: str, field: list[str]) -> int:
    """``decode`` for a query's argument: queries have no userErrors, so a bad
    ID is a top-level bad-request error instead."""
    try:
        return decode(value, expected_type, field)
    except DomainError as exc:
        raise bad_input(exc.message) from exc


def node_db_ids(node_ids: object) -> list[int]:
    """Database ids of ``node`` lookups; a non-numeric one becomes -1, which
    matches no row, so it reads exactly like a missing object."""
    out = []
    for raw in node_ids:  # type: ignore[attr-defined]
        text = str(raw)
        numeric = text.isascii() and text.isdigit()
        out.append(int(text) if numeric and int(text) <= MAX_DB_ID else -1)
    return out
