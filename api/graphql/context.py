"""Per-request context: who is asking, the database, the job queue, loaders."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from starlette.requests import Request
from starlette.responses import Response
from starlette.websockets import WebSocket
from strawberry.types import Info as StrawberryInfo

from api.graphql.errors import forbidden, unauthenticated
from api.graphql.loaders import Loaders
from kernel.accounts import Role, User, check_token
from kernel.jobs.queue import JobQueue
from kernel.settings import Settings

if TYPE_CHECKING:
    from api.graphql.audit.hook import AuditNote


@dataclass
class Context:
    settings: Settings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    read_sessions: async_sessionmaker[AsyncSession]
    queue: JobQueue
    viewer: User | None
    # A bearer token was sent and refused (unknown, expired, forged): not the
    # same as sending none, which is browsing anonymously.
    token_refused: bool = False
    # Why it was refused (EXPIRED, REVOKED, DISABLED, INVALID): the
    # UNAUTHENTICATED error's ``extensions.reason``.
    refusal: str | None = None
    request: Request | WebSocket | None = field(default=None, repr=False)
    # strawberry's sub-response: its status and headers reach the client (503
    # while the database is away, api/graphql/unavailable.py).
    response: Response | WebSocket | None = field(default=None, repr=False)
    # The mutation running now, for the audit log (api/graphql/audit/hook.py).
    audit_note: AuditNote | None = field(default=None, repr=False)
    # Sessions in autocommit on PostgreSQL, None on SQLite (in_one_statement).
    statement_sessions: async_sessionmaker[AsyncSession] | None = field(default=None, repr=False)
    _session: AsyncSession | None = field(default=None, repr=False)

    @property
    def session(self) -> AsyncSession:
        """The request's read session, opened on first use and closed by the
        ``RequestSession`` extension. Mutations open their own unit of work."""
        if self._session is None:
            self._session = self.read_sessions()
        return self._session

    @property
    def client_address(self) -> str | None:
        """The caller's address (starlette's ``request.client``), for the
        sign-in code limits."""
        client = None if self.request is None else self.request.client
        return None if client is None else client.host

    @property
    def token(self) -> str | None:
        """The bearer token as sent: authSignOut ends that token's session."""
        return None if self.request is None else bearer_token(self.request)

    @cached_property
    def loaders(self) -> Loaders:
        return Loaders(self.session, self.settings.zone)

    async def release_reads(self) -> None:
        """Close the request's read session and forget its loaders. Before a
        mutation's unit of work: a request then never holds two pooled
        connections at once (with no overflow, twenty requests each holding
        one and waiting for a second would wait on each other until the pool
        timed out). After it: SQLite's read transaction keeps its snapshot, and
        loaders cache objects, so the payload would otherwise show the state
        before the write."""
        if self._session is not None:
            await self._session.close()  # reusable: the next read begins afresh
        self.__dict__.pop("loaders", None)

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    def require(self, *roles: Role) -> User:
        """The signed-in viewer, if their role is one of ``roles`` (any role
        when none are named); otherwise a top-level auth error."""
        if self.viewer is None:
            raise unauthenticated(self.refusal)
        if roles and self.viewer.role not in roles:
            raise forbidden()
        return self.viewer


Info = StrawberryInfo[Context, None]


async def request_viewer(
    request: Request | WebSocket, auth_engine: AsyncEngine, secret: str
) -> User | None:
    """The signed-in user of a request's bearer token, if any."""
    return (await request_auth(request, auth_engine, secret))[0]


async def request_auth(
    request: Request | WebSocket, auth_engine: AsyncEngine, secret: str
) -> tuple[User | None, str | None]:
    """The signed-in user of a request's bearer token, or why a token that
    was sent signs nobody in (None and None: no token, browsing anonymously)."""
    token = bearer_token(request)
    if not token:
        return None, None
    async with auth_engine.connect() as connection:
        user, refusal = await check_token(connection, token, secret)
    return user, None if refusal is None else refusal.value


def bearer_token(request: Request | WebSocket) -> str | None:
    """The token of an ``Authorization: Bearer …`` header, if any."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token else None
