"""What the access log learns from GraphQL: the operation's name and the
viewer's role, written into the HTTP request's ``state`` for
``api/http/access_log.py`` (and the metrics) to read once the answer is sent."""

from __future__ import annotations

from collections.abc import Iterator

from graphql import OperationDefinitionNode
from strawberry.extensions import SchemaExtension


class AccessFacts(SchemaExtension):
    """Notes the operation and the viewer on the request."""

    def on_execute(self) -> Iterator[None]:
        context = self.execution_context.context
        request = getattr(context, "request", None)
        if request is not None:
            state = request.scope.setdefault("state", {})
            state["graphql_operation"] = self._operation()
            viewer = getattr(context, "viewer", None)
            state["viewer_role"] = None if viewer is None else viewer.role.value
        yield

    def _operation(self) -> str:
        """The client's name for the operation, or its root fields."""
        execution = self.execution_context
        if execution.operation_name:
            return execution.operation_name
        document = execution.graphql_document
        if document is None:
            return "anonymous"
        for definition in document.definitions:
            if isinstance(definition, OperationDefinitionNode):
                fields = [getattr(s, "name", None) for s in definition.selection_set.selections]
                names = [f.value for f in fields if f is not None]
                return ",".join(names)[:100] or "anonymous"
        return "anonymous"
