"""PostgreSQL: WeChat first sign-ins and phone binds racing each other."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from kernel.accounts import Role, User
from kernel.db import unit_of_work
from kernel.errors import DomainError
from kernel.identity.codes import IssuedCode, request_code
from kernel.identity.signin import SignedIn
from kernel.identity.wechat import WechatUser
from kernel.identity.wechat_signin import bind_phone, wechat_sign_in
from tests.conftest import TestDB

NOW = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
WHO = WechatUser("wx-app", "o-race", None)


async def test_concurrent_first_sign_ins_make_one_account(pg: TestDB) -> None:
    async def sign_in() -> SignedIn | DomainError:
        async with unit_of_work(pg.sessions) as session:
            return await wechat_sign_in(session, WHO, None, NOW, pg.settings)

    results = await asyncio.gather(*(sign_in() for _ in range(5)))
    assert all(isinstance(r, SignedIn) for r in results)
    assert len({r.tokens.user.id for r in results if isinstance(r, SignedIn)}) == 1
    assert sum(r.created for r in results if isinstance(r, SignedIn)) == 1
    assert await pg.scalar("SELECT count(*) FROM users") == 1
    assert await pg.scalar("SELECT count(*) FROM wechat_identities") == 1


async def test_concurrent_binds_of_one_phone_give_it_to_one(pg: TestDB) -> None:
    phone = "13800138000"
    async with unit_of_work(pg.sessions) as session:
        users = [User(name=f"微信用户{i}", role=Role.CUSTOMER, created_at=NOW) for i in range(2)]
        session.add_all(users)
        await session.flush()
        ids = [u.id for u in users]
        issued = await request_code(session, phone, None, NOW, pg.settings)
    assert isinstance(issued, IssuedCode)

    async def bind(user_id: int) -> User | DomainError:
        async with unit_of_work(pg.sessions) as session:
            return await bind_phone(session, user_id, phone, issued.code, NOW, pg.settings)

    results = await asyncio.gather(*(bind(i) for i in ids))
    assert sum(isinstance(r, User) for r in results) == 1
    assert await pg.scalar("SELECT count(*) FROM users WHERE phone = :p", p=phone) == 1
