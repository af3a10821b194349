"""PostgreSQL: the limits and the one-use rules hold under concurrency."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from kernel.db import unit_of_work
from kernel.errors import DomainError
from kernel.identity.codes import IssuedCode, request_code
from kernel.identity.sessions import Tokens, refresh_session
from kernel.identity.signin import SignedIn, sign_in
from tests.conftest import TestDB

NOW = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
PHONE = "13800138000"


async def _ask(pg: TestDB) -> IssuedCode | DomainError:
    try:
        async with unit_of_work(pg.sessions) as session:
            return await request_code(session, PHONE, None, NOW, pg.settings)
    except DomainError as exc:
        return exc


async def test_concurrent_asks_for_one_phone_send_one_code(pg: TestDB) -> None:
    results = await asyncio.gather(*(_ask(pg) for _ in range(6)))
    assert sum(isinstance(r, IssuedCode) for r in results) == 1
    assert await pg.scalar("SELECT count(*) FROM sign_in_codes") == 1


async def test_concurrent_refreshes_with_one_token_revoke_the_family(pg: TestDB) -> None:
    issued = await _ask(pg)
    assert isinstance(issued, IssuedCode)
    async with unit_of_work(pg.sessions) as session:
        signed = await sign_in(session, PHONE, issued.code, None, NOW, pg.settings)
    assert isinstance(signed, SignedIn)

    async def refresh() -> Tokens | DomainError:
        async with unit_of_work(pg.sessions) as session:
            return await refresh_session(session, signed.tokens.refresh_token, NOW, pg.settings)

    results = await asyncio.gather(refresh(), refresh())
    assert sum(isinstance(r, Tokens) for r in results) == 1
    assert await pg.scalar("SELECT count(*) FROM auth_sessions WHERE revoked_at IS NOT NULL") == 1
