"""authWechatSignIn and authPhoneBind: WeChat mini-program login, and giving
such an account the phone its SMS code proves."""

from __future__ import annotations

from api.graphql.auth.mutations import bind_new_customer, signed_in_payload
from api.graphql.auth.types import (
    AuthPhoneBindInput,
    AuthPhoneBindPayload,
    AuthTokensPayload,
    AuthWechatSignInInput,
)
from api.graphql.context import Info
from api.graphql.errors import user_error
from api.graphql.users import UserType
from kernel.clock import utcnow
from kernel.db import unit_of_work
from kernel.errors import DomainError
from kernel.identity.errors import IdentityErrorCode
from kernel.identity.phones import normalise_phone
from kernel.identity.signin import SignedIn
from kernel.identity.wechat import WechatError, code_to_session
from kernel.identity.wechat_signin import bind_phone, wechat_sign_in


def _wechat_refusal(exc: WechatError) -> DomainError:
    if exc.code_refused:
        return DomainError(
            IdentityErrorCode.WECHAT_CODE_INVALID,
            "WeChat did not accept this login code; call wx.login() again.",
            ["code"],
        )
    return DomainError(
        IdentityErrorCode.WECHAT_UNAVAILABLE,
        "WeChat login is unavailable; try again in a moment or sign in with your phone.",
        ["code"],
    )


async def auth_wechat_sign_in(info: Info, input: AuthWechatSignInInput) -> AuthTokensPayload:
    """Sign in with a WeChat mini-program login code: an access and a refresh
    token. A WeChat user seen for the first time becomes a customer account."""
    ctx = info.context
    await ctx.release_reads()
    # WeChat is asked before any transaction opens: a slow answer holds no
    # connection, and a refusal leaves nothing behind.
    try:
        who = await code_to_session(ctx.settings, input.code)
    except WechatError as exc:
        return AuthTokensPayload.refused([user_error(_wechat_refusal(exc))])
    async with unit_of_work(ctx.sessions) as session:
        result = await wechat_sign_in(session, who, ctx.client_address, utcnow(), ctx.settings)
        if isinstance(result, SignedIn) and input.share_code:
            await bind_new_customer(session, result, input.share_code)
    return await signed_in_payload(info, result)


async def auth_phone_bind(info: Info, input: AuthPhoneBindInput) -> AuthPhoneBindPayload:
    """Give your account (one made by WeChat login) a phone, proven by the SMS
    code authCodeRequest sent to it; afterwards either way signs you in. A
    phone that belongs to another account is PHONE_TAKEN: accounts are not
    merged."""
    ctx = info.context
    viewer = ctx.require()
    try:
        phone = normalise_phone(input.phone)
    except DomainError as exc:
        return AuthPhoneBindPayload(user=None, user_errors=[user_error(exc)])
    await ctx.release_reads()
    # Not in_transaction: a wrong code is returned, and its try committed.
    async with unit_of_work(ctx.sessions) as session:
        result = await bind_phone(session, viewer.id, phone, input.code, utcnow(), ctx.settings)
    await ctx.release_reads()
    if isinstance(result, DomainError):
        return AuthPhoneBindPayload(user=None, user_errors=[user_error(result)])
    return AuthPhoneBindPayload(user=UserType.of(result), user_errors=[])
