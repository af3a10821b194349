"""Errors the client sees: UserError payload entries for broken business rules,
top-level errors with ``extensions.code`` for auth and bad requests, and a
masker that hides everything else behind a correlation id."""

from __future__ import annotations

import logging
import time
import traceback
import uuid
from collections.abc import Iterator
from enum import Enum

import strawberry
from graphql import GraphQLError
from strawberry.extensions import MaskErrors
from strawberry.relay import GlobalIDValueError

from api.graphql.unavailable import (
    MESSAGE,
    RETRY_AFTER_S,
    database_unavailable,
    unavailable_extensions,
)
from fulfilment.after_sale.errors import AfterSaleErrorCode
from fulfilment.campaigns.errors import CampaignErrorCode
from fulfilment.live_campaigns.errors import LiveCampaignErrorCode
from fulfilment.network.errors import NetworkErrorCode
from fulfilment.orders.errors import OrderErrorCode
from fulfilment.pickup.errors import PickupErrorCode
from fulfilment.purchasing.errors import PurchasingErrorCode
from fulfilment.routing.errors import RoutingErrorCode
from fulfilment.supplier_settlement.errors import SupplierSettlementErrorCode
from kernel.errors import CommonErrorCode, DomainError
from kernel.geo import GeoErrorCode
from kernel.identity.errors import IdentityErrorCode
from kernel.identity.staff_errors import StaffErrorCode
from kernel.jobs.service import JobErrorCode
from kernel.metrics import count_user_error
from kernel.request_context import current_request_id
from leaders.applications.errors import LeaderErrorCode
from leaders.commission.errors import CommissionErrorCode
from leaders.points.errors import PickupHelperErrorCode

log = logging.getLogger("tuangou.api")


DOMAIN_CODES: tuple[type[Enum], ...] = (
    CommonErrorCode,
    GeoErrorCode,
    JobErrorCode,
    LeaderErrorCode,
    CommissionErrorCode,
    CampaignErrorCode,
    LiveCampaignErrorCode,
    NetworkErrorCode,
    OrderErrorCode,
    PurchasingErrorCode,
    SupplierSettlementErrorCode,
    RoutingErrorCode,
    PickupErrorCode,
    PickupHelperErrorCode,
    AfterSaleErrorCode,
    IdentityErrorCode,
    StaffErrorCode,
)


# One GraphQL enum of every code the domains can raise; the codes themselves
# live in the domain packages.
_CodeEnum = Enum(  # type: ignore[misc]
    "UserErrorCode",
    {member.value: member.value for codes in DOMAIN_CODES for member in codes},
)


UserErrorCode = strawberry.enum(
    _CodeEnum,
    description="Why a mutation changed nothing.",
)


@strawberry.type(description="A broken business rule; the mutation changed nothing.")
class UserError:
    field: list[str] | None = strawberry.field(
        description="Path to the input field at fault, or null for the whole input."
    )
    code: UserErrorCode  # type: ignore[valid-type]
    message: str
    remaining: int | None = strawberry.field(
        default=None,
        description="SOLD_OUT and LIMIT_EXCEEDED: how many units can still be ordered.",
    )


def user_error(exc: DomainError) -> UserError:
    """The UserError a client receives for ``exc`` (counted for /metrics)."""
    count_user_error(exc.code.value)
    return UserError(
        field=exc.field,
        code=UserErrorCode(exc.code.value),
        message=exc.message,
        remaining=exc.remaining,
    )


class ClientError(GraphQLError):
    """An error the client caused or may know about; never masked."""

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message, extensions={"code": code})


def unauthenticated(reason: str | None = None) -> ClientError:
    """Not signed in; ``reason`` (EXPIRED, REVOKED, DISABLED, INVALID) says
    why a token that was sent was refused, so a client refreshes only when
    refreshing can help."""
    error = ClientError("Sign in: send 'Authorization: Bearer <token>'.", "UNAUTHENTICATED")
    if reason is not None:
        error.extensions = {**(error.extensions or {}), "reason": reason}
    return error


def forbidden() -> ClientError:
    return ClientError("Your role may not do this.", "FORBIDDEN")


def bad_input(message: str) -> ClientError:
    return ClientError(message, "BAD_USER_INPUT")


# GraphQLError: graphql-core's own, e.g. a variable that does not coerce to
# its type; it says what the client sent wrong.
_PUBLIC = (ClientError, GlobalIDValueError, GraphQLError)


def _cause(exc: BaseException | None) -> str:
    """Where ``exc`` was raised, as "Type at file:line": one cause however
    many requests meet it."""
    if exc is None:
        return "unknown"
    frames = traceback.extract_tb(exc.__traceback__)
    where = f"{frames[-1].filename}:{frames[-1].lineno}" if frames else "?"
    return f"{type(exc).__name__} at {where}"


class _Window:
    """Says yes to a key once per ``seconds``: a broken query met by every
    request logs its traceback once a window, not once a request."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._last: dict[str, float] = {}

    def first_within_window(self, key: str) -> bool:
        now = time.monotonic()
        if now - self._last.get(key, -self.seconds) < self.seconds:
            return False
        if len(self._last) > 1000:  # bounded: causes are few, but never grow forever
            self._last.clear()
        self._last[key] = now
        return True


_TRACEBACKS = _Window(300.0)


class Masker(MaskErrors):
    """Lets GraphQL syntax/validation errors and our own client errors through;
    replaces anything else with "Internal error" and logs it with an id the
    operator can find."""

    def __init__(self) -> None:
        super().__init__(should_mask_error=self._should_mask)

    @staticmethod
    def _should_mask(error: GraphQLError) -> bool:
        original = error.original_error
        return original is not None and not isinstance(original, _PUBLIC)

    def on_operation(self) -> Iterator[None]:
        yield from super().on_operation()
        # Whether the answer carries top-level errors, for the request
        # metrics (api/http/metrics.py): known here for free, while the
        # access log would have to read the body to tell.
        result = self.execution_context.result
        request = getattr(self.execution_context.context, "request", None)
        if request is not None and getattr(result, "errors", None):
            request.scope.setdefault("state", {})["graphql_errors"] = True

    def anonymise_error(self, error: GraphQLError) -> GraphQLError:
        exc = error.original_error
        if database_unavailable(exc):
            return self._unavailable(error)
        # The request's id when there is one: the operator finds every log
        # line of the request, not only this one.
        correlation_id = current_request_id() or uuid.uuid4().hex[:12]
        log.error("internal error %s: %s at %s", correlation_id, type(exc).__name__, error.path)
        cause = _cause(exc)
        if _TRACEBACKS.first_within_window(cause):
            log.error("traceback of %s (%s)", correlation_id, cause, exc_info=exc)
        return GraphQLError(
            f"Internal error (reference {correlation_id}).",
            nodes=error.nodes,
            source=error.source,
            positions=error.positions,
            path=error.path,
            original_error=None,
            extensions={"code": "INTERNAL_SERVER_ERROR", "correlationId": correlation_id},
        )

    def _unavailable(self, error: GraphQLError) -> GraphQLError:
        """The database is out of reach: a 503 the client retries, one
        warning line (an outage would otherwise log a traceback per request)."""
        log.warning("database unavailable at %s: %s", error.path, type(error.original_error))
        response = getattr(self.execution_context.context, "response", None)
        if response is not None and hasattr(response, "status_code"):
            response.status_code = 503
            response.headers["Retry-After"] = str(RETRY_AFTER_S)
        return GraphQLError(
            MESSAGE,
            nodes=error.nodes,
            source=error.source,
            positions=error.positions,
            path=error.path,
            original_error=None,
            extensions=unavailable_extensions(),
        )
