"""What makes every staff mutation leave an audit event.

``audit_mutations`` wraps each mutation field of the built schema: before the
resolver runs it notes, on the request's context, which mutation this is and
its input; ``record_change`` (called by the one place mutations commit,
``api.graphql.transactions``) writes that note in the same transaction once
the work succeeded. A refused input, a user error or a rollback leaves no
event; a mutation that commits without the shared transaction helpers would
leave none either, which is why every mutation goes through them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from graphql import GraphQLSchema
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from strawberry.relay import GlobalID, GlobalIDValueError

from api.graphql.ids import MAX_DB_ID
from kernel.audit import AuditEntry, audited, record
from kernel.clock import utcnow
from kernel.request_context import current_request_id


@dataclass
class AuditNote:
    """The mutation running now and its input (as strawberry gave it, made
    plain only when written), until its change commits."""

    action: str
    input: dict[str, Any]
    written: bool = field(default=False)


def audit_mutations(schema: GraphQLSchema) -> None:
    """Make every mutation of ``schema`` note itself for the audit log."""
    if schema.mutation_type is None:
        return
    for name, mutation in schema.mutation_type.fields.items():
        resolve = mutation.resolve
        assert resolve is not None
        mutation.resolve = _noting(name, resolve)


def _noting(name: str, resolve: Any) -> Any:
    def noted(source: Any, info: Any, **args: Any) -> Any:
        viewer = info.context.viewer
        if viewer is None or not audited(viewer.role):
            # Customers' orders, the evening's thousands a minute: no note,
            # no extra await.
            return resolve(source, info, **args)
        return _noted_run(name, resolve, source, info, args)

    return noted


async def _noted_run(name: str, resolve: Any, source: Any, info: Any, args: dict[str, Any]) -> Any:
    # Root mutations run one after another (the spec's serial execution),
    # so the context holds one note at a time.
    info.context.audit_note = AuditNote(name, args)
    try:
        result = resolve(source, info, **args)
        if hasattr(result, "__await__"):
            result = await result
        return result
    finally:
        info.context.audit_note = None


def will_record(note: AuditNote | None, actor: Any) -> bool:
    """Whether the next unit of work of the running mutation writes its
    audit event (``record_change``)."""
    return note is not None and not note.written and actor is not None and audited(actor.role)


async def record_change(
    db: AsyncSession | AsyncConnection,
    note: AuditNote | None,
    actor: Any,
    result: Any,
) -> None:
    """Write the running mutation's audit event in ``db``'s transaction, if the
    actor is audited; once per mutation, however many units of work it runs."""
    if note is None or not will_record(note, actor):
        return
    plain = _plain(note.input)
    object_type, object_id = _object_of(result) or _first_id(plain) or (None, None)
    entry = AuditEntry(
        actor_id=actor.id,
        actor_role=actor.role,
        action=note.action,
        object_type=object_type,
        object_id=object_id,
        request_id=current_request_id(),
        details={"input": plain},
    )
    await record(db, entry, utcnow())
    note.written = True


def _object_of(result: Any) -> tuple[str, int] | None:
    """The row a mutation's work returned (or the first of a tuple): what it
    created or changed. Work returning something else names no object."""
    if isinstance(result, tuple) and result:
        result = result[0]
    row_id = getattr(result, "id", None)
    if hasattr(type(result), "__table__") and isinstance(row_id, int):
        return type(result).__name__, row_id
    return None


def _first_id(value: Any) -> tuple[str, int] | None:
    """The first global ID in the input, depth first: the object acted on."""
    if isinstance(value, str):
        try:
            gid = GlobalID.from_id(value)
        except (GlobalIDValueError, ValueError, TypeError):
            return None
        node = gid.node_id
        if node.isascii() and node.isdigit() and 0 < int(node) <= MAX_DB_ID:
            return gid.type_name, int(node)
        return None
    items = value.values() if isinstance(value, Mapping) else value
    if isinstance(value, Mapping | list):
        for item in items:
            found = _first_id(item)
            if found is not None:
                return found
    return None


def _plain(value: Any) -> Any:
    """Strawberry's input objects as JSON: camelCase keys, enums by value."""
    if isinstance(value, Mapping):
        return {_camel(str(k)): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, Enum):
        return value.value
    if hasattr(value, "__strawberry_definition__"):
        return {_camel(k): _plain(v) for k, v in vars(value).items()}
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)  # dates, times, decimals: their ISO text


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)
