"""Root fields of a query run one after another, as a mutation's do.

A request has one database session, and a session allows one operation at
a time; graphql-core would otherwise start every root field at once, and a
query asking for two lists (``warehouses`` and ``products``) failed with an
internal error. Below the root, fields still run together, so DataLoaders
still batch a page's children into one statement each.
"""

from __future__ import annotations

from typing import Any

from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext


class SerialRootExecutionContext(StrawberryGraphQLCoreExecutionContext):
    def execute_root_grouped_field_set(
        self,
        root_type: Any,
        root_value: Any,
        grouped_field_set: Any,
        serially: bool,
        position_context: Any,
    ) -> Any:
        return super().execute_root_grouped_field_set(
            root_type, root_value, grouped_field_set, True, position_context
        )
