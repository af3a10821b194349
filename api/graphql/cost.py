"""A query cost rule in the spirit of Saleor's: each field costs 1, and a
field's children cost as many times over as the page it asks for (`first`,
20 by default for a connection). Too costly a query is refused before it
runs; every answer reports its cost in ``extensions.cost``."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    IntValueNode,
    ListValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    VariableNode,
)
from strawberry.extensions import SchemaExtension

from api.graphql.pagination import DEFAULT_PAGE, MAX_PAGE

_CONNECTION_FIELDS = frozenset({"edges", "nodes"})


def _page(field: FieldNode, variables: Mapping[str, Any]) -> int:
    """How many children one instance of ``field`` can return."""
    for arg in field.arguments or ():
        value = arg.value
        if isinstance(value, VariableNode):
            given = variables.get(value.name.value)
            resolved = given if isinstance(given, int | list) else None
        elif isinstance(value, IntValueNode):
            resolved = int(value.value)
        elif isinstance(value, ListValueNode):
            resolved = len(value.values)
        else:
            continue
        if arg.name.value == "first":
            return max(1, min(resolved if isinstance(resolved, int) else MAX_PAGE, MAX_PAGE))
        if arg.name.value == "ids":
            return max(1, len(resolved) if isinstance(resolved, list) else MAX_PAGE)
    children = field.selection_set.selections if field.selection_set else ()
    if any(isinstance(c, FieldNode) and c.name.value in _CONNECTION_FIELDS for c in children):
        return DEFAULT_PAGE
    return 1


def query_cost(
    selection_set: SelectionSetNode,
    fragments: Mapping[str, FragmentDefinitionNode],
    variables: Mapping[str, Any],
    multiplier: int = 1,
    seen: frozenset[str] = frozenset(),
) -> int:
    """The cost of a selection set reached ``multiplier`` times."""
    total = 0
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            if selection.name.value.startswith("__"):
                continue
            total += multiplier
            if selection.selection_set is not None:
                inner = multiplier * _page(selection, variables)
                total += query_cost(selection.selection_set, fragments, variables, inner, seen)
        elif isinstance(selection, InlineFragmentNode):
            total += query_cost(selection.selection_set, fragments, variables, multiplier, seen)
        elif isinstance(selection, FragmentSpreadNode):
            name = selection.name.value
            if name in fragments and name not in seen:  # cycles are a validation error
                total += query_cost(
                    fragments[name].selection_set, fragments, variables, multiplier, seen | {name}
                )
    return total


class QueryCost(SchemaExtension):
    def __init__(self, maximum: int) -> None:
        super().__init__()
        self.maximum = maximum
        self.cost: int | None = None

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        document = context.graphql_document
        if document is not None:
            fragments = {
                d.name.value: d
                for d in document.definitions
                if isinstance(d, FragmentDefinitionNode)
            }
            operations = [
                d
                for d in document.definitions
                if isinstance(d, OperationDefinitionNode)
                and (
                    context.operation_name is None
                    or (d.name and d.name.value == context.operation_name)
                )
            ]
            if len(operations) == 1:
                self.cost = query_cost(
                    operations[0].selection_set, fragments, context.variables or {}
                )
                if self.cost > self.maximum:
                    context.pre_execution_errors = [
                        GraphQLError(
                            f"The query costs {self.cost}, more than the {self.maximum} "
                            "allowed; ask for smaller pages or fewer fields.",
                            extensions={"code": "QUERY_TOO_COSTLY"},
                        )
                    ]
        yield

    def get_results(self) -> dict[str, Any]:
        if self.cost is None:
            return {}
        return {"cost": {"requestedQueryCost": self.cost, "maximumAvailable": self.maximum}}
