"""The schema: queries, mutations and the request pipeline's extensions."""

from __future__ import annotations

from collections.abc import AsyncIterator

import strawberry
from graphql import GraphQLError
from strawberry.extensions import (
    MaxAliasesLimiter,
    MaxTokensLimiter,
    ParserCache,
    QueryDepthLimiter,
    SchemaExtension,
    ValidationCache,
)
from strawberry.types import ExecutionContext

from api.errors import ClientError, Masker
from api.mutations import jobs, leaders, warehouses
from api.queries import Query
from api.types.jobs import JobType
from api.types.leaders import LeaderType, PickupPointType
from api.types.users import UserType
from api.types.warehouses import WarehouseType
from kernel.settings import Settings


@strawberry.type
class Mutation:
    warehouse_create = strawberry.mutation(resolver=warehouses.warehouse_create)
    leader_apply = strawberry.mutation(resolver=leaders.leader_apply)
    leader_approve = strawberry.mutation(resolver=leaders.leader_approve)
    leader_reject = strawberry.mutation(resolver=leaders.leader_reject)
    leader_suspend = strawberry.mutation(resolver=leaders.leader_suspend)
    leader_reinstate = strawberry.mutation(resolver=leaders.leader_reinstate)
    diagnostics_ping_start = strawberry.mutation(resolver=jobs.diagnostics_ping_start)


class RequestSession(SchemaExtension):
    """Closes the request's read session when the operation ends."""

    async def on_operation(self) -> AsyncIterator[None]:
        try:
            yield
        finally:
            await self.execution_context.context.close()


class Schema(strawberry.Schema):
    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        # Client errors are answers, not faults; masked faults were logged with
        # their correlation id by the Masker. Only what is left is logged here.
        unexpected = [
            e
            for e in errors
            if e.original_error is not None
            and not isinstance(e.original_error, ClientError)
            and "correlationId" not in (e.extensions or {})
        ]
        if unexpected:
            super().process_errors(unexpected, execution_context)


def build_schema(settings: Settings) -> strawberry.Schema:
    """The schema with its limits taken from ``settings``."""
    return Schema(
        query=Query,
        mutation=Mutation,
        types=[UserType, LeaderType, PickupPointType, WarehouseType, JobType],
        # Factories: strawberry builds fresh extension instances per request;
        # the parser and validation caches are module-level and so still shared.
        extensions=[
            RequestSession,
            # Parsing and validating a document costs more than most resolvers;
            # clients send the same few documents again and again.
            lambda: ParserCache(maxsize=1024),
            lambda: ValidationCache(maxsize=1024),
            lambda: QueryDepthLimiter(max_depth=settings.max_query_depth),
            lambda: MaxAliasesLimiter(max_alias_count=settings.max_aliases),
            lambda: MaxTokensLimiter(max_token_count=settings.max_tokens),
            Masker,
        ],
    )
