"""The one shape of the operators' logs and consoles (audit events, jobs,
webhook deliveries): newest first, paged downward by id, narrowed by the
filters the operator gave. A filter left out matches everything."""

from __future__ import annotations

from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Select, select
from sqlalchemy.orm import InstrumentedAttribute

M = TypeVar("M")


def newest_first(
    model: type[M],
    id_column: InstrumentedAttribute[int],
    before_id: int | None,
    limit: int,
    *,
    equal: dict[InstrumentedAttribute[Any], Any] | None = None,
    at: InstrumentedAttribute[datetime] | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> Select[M]:
    """A page of ``model`` rows, newest first, below ``before_id``: each
    ``equal`` column matching its value when one is given, ``at`` from
    ``since`` (inclusive) to ``until`` (exclusive)."""
    conditions: list[ColumnElement[bool]] = []
    if before_id is not None:
        conditions.append(id_column < before_id)
    for column, value in (equal or {}).items():
        if value is not None:
            conditions.append(column == value)
    if at is not None and since is not None:
        conditions.append(at >= since)
    if at is not None and until is not None:
        conditions.append(at < until)
    return (
        select(model)
        .where(*conditions)
        .order_by(id_column.desc())
        .limit(limit)
        # A console shows the row as it is now, not as this session last saw it.
        .execution_options(populate_existing=True)
    )
