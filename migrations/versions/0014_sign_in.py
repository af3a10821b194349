"""sign in

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-05

Phone and SMS-code sign-in (kernel/identity): the codes sent and the wrong
tries (the rate limits and the lock count these rows, on every API process
alike), sessions and their refresh tokens. ``api_tokens`` gains
``expires_at`` and ``session_id``, both nullable: tokens made before (by the
CLI) have neither and keep working as service tokens.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _at(name: str, nullable: bool = True) -> sa.Column[datetime]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "sign_in_codes",
        sa.Column("id", ID, nullable=False),
        sa.Column("phone", sa.String(length=32), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("client_address", sa.String(length=64), nullable=True),
        _at("created_at", False),
        _at("expires_at", False),
        _at("used_at"),
        _at("failed_at"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sign_in_codes")),
    )
    op.create_index("ix_sign_in_codes_phone_created_at", "sign_in_codes", ["phone", "created_at"])
    op.create_index(
        "ix_sign_in_codes_client_address_created_at",
        "sign_in_codes",
        ["client_address", "created_at"],
    )
    op.create_table(
        "sign_in_failures",
        sa.Column("id", ID, nullable=False),
        sa.Column("phone", sa.String(length=32), nullable=False),
        _at("at", False),
        _at("locked_until"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sign_in_failures")),
    )
    op.create_index("ix_sign_in_failures_phone_at", "sign_in_failures", ["phone", "at"])
    op.create_table(
        "auth_sessions",
        sa.Column("id", ID, nullable=False),
        sa.Column("user_id", ID, nullable=False),
        sa.Column("client_address", sa.String(length=64), nullable=True),
        _at("created_at", False),
        _at("last_used_at", False),
        _at("expires_at", False),
        _at("revoked_at"),
        sa.Column("revoked_reason", sa.String(length=16), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_auth_sessions_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_auth_sessions")),
    )
    op.create_index(op.f("ix_auth_sessions_user_id"), "auth_sessions", ["user_id"])
    op.create_table(
        "refresh_tokens",
        sa.Column("id", ID, nullable=False),
        sa.Column("session_id", ID, nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        _at("created_at", False),
        _at("expires_at", False),
        _at("used_at"),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["auth_sessions.id"],
            name=op.f("fk_refresh_tokens_session_id_auth_sessions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_refresh_tokens")),
        sa.UniqueConstraint("digest", name=op.f("uq_refresh_tokens_digest")),
    )
    op.create_index(op.f("ix_refresh_tokens_session_id"), "refresh_tokens", ["session_id"])
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.add_column(_at("expires_at"))
        batch_op.add_column(sa.Column("session_id", ID, nullable=True))
        batch_op.create_index(batch_op.f("ix_api_tokens_session_id"), ["session_id"])
        batch_op.create_foreign_key(
            batch_op.f("fk_api_tokens_session_id_auth_sessions"),
            "auth_sessions",
            ["session_id"],
            ["id"],
        )


def downgrade() -> None:
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_api_tokens_session_id_auth_sessions"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_api_tokens_session_id"))
        batch_op.drop_column("session_id")
        batch_op.drop_column("expires_at")
    op.drop_index(op.f("ix_refresh_tokens_session_id"), table_name="refresh_tokens")
    op.drop_table("refresh_tokens")
    op.drop_index(op.f("ix_auth_sessions_user_id"), table_name="auth_sessions")
    op.drop_table("auth_sessions")
    op.drop_index("ix_sign_in_failures_phone_at", table_name="sign_in_failures")
    op.drop_table("sign_in_failures")
    op.drop_index("ix_sign_in_codes_client_address_created_at", table_name="sign_in_codes")
    op.drop_index("ix_sign_in_codes_phone_created_at", table_name="sign_in_codes")
    op.drop_table("sign_in_codes")
