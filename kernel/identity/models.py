"""Sign-in codes, wrong tries, sessions (families of refresh tokens), and
the WeChat identities accounts sign in with."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from kernel.clock import utcnow
from kernel.db import Base, BigID, UTCDateTime


class SignInCode(Base):
    """One code sent (or tried to send) to a phone. The rate limits count
    these rows, so they hold across every API process."""

    __tablename__ = "sign_in_codes"
    __table_args__ = (
        Index("ix_sign_in_codes_phone_created_at", "phone", "created_at"),
        Index("ix_sign_in_codes_client_address_created_at", "client_address", "created_at"),
    )

    id: Mapped[int] = mapped_column(BigID, primary_key=True)
    phone: Mapped[str] = mapped_column(String(32))
    # HMAC of phone and code: a stolen table does not give codes away.
    digest: Mapped[str] = mapped_column(String(64))
    client_address: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The provider refused or was down: the code was never delivered.
    failed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class SignInFailure(Base):
    """A wrong code tried for a phone; the fifth in the window locks it."""

    __tablename__ = "sign_in_failures"
    __table_args__ = (Index("ix_sign_in_failures_phone_at", "phone", "at"),)

    id: Mapped[int] = mapped_column(BigID, primary_key=True)
    phone: Mapped[str] = mapped_column(String(32))
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    # Set on the try that locked the phone: until when it stays locked.
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime())


class AuthSession(Base):
    """A signed-in device: one family of refresh tokens, each rotated into
    the next; its access tokens are ``api_tokens`` rows pointing here."""

    __tablename__ = "auth_sessions"

    id: Mapped[int] = mapped_column(BigID, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    client_address: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_used_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # "sign_out", "revoked", "reused" (a refresh token came back a second time).
    revoked_reason: Mapped[str | None] = mapped_column(String(16))


class RefreshToken(Base):
    __tablename__ = "refresh_tokens"

    id: Mapped[int] = mapped_column(BigID, primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("auth_sessions.id"), index=True)
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class WechatIdentity(Base):
    """A WeChat user (openid of one mini-program) signing in as an account.
    The session_key code2session also answers is never stored."""

    __tablename__ = "wechat_identities"
    __table_args__ = (
        # An openid is only unique within its appid.
        UniqueConstraint("appid", "openid", name="uq_wechat_identities_appid_openid"),
    )

    id: Mapped[int] = mapped_column(BigID, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    appid: Mapped[str] = mapped_column(String(64))
    openid: Mapped[str] = mapped_column(String(128))
    # The same person across the platform's apps, when WeChat gives it.
    unionid: Mapped[str | None] = mapped_column(String(128), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
