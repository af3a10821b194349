"""wechat identities

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-05

WeChat mini-program login (kernel/identity/wechat_signin.py): which account
each WeChat user (openid, unique per appid; unionid when WeChat gives it)
signs in as. The session_key WeChat answers with is never stored.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "wechat_identities",
        sa.Column("id", ID, nullable=False),
        sa.Column("user_id", ID, nullable=False),
        sa.Column("appid", sa.String(length=64), nullable=False),
        sa.Column("openid", sa.String(length=128), nullable=False),
        sa.Column("unionid", sa.String(length=128), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_wechat_identities_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_wechat_identities")),
        sa.UniqueConstraint("appid", "openid", name="uq_wechat_identities_appid_openid"),
    )
    op.create_index(op.f("ix_wechat_identities_user_id"), "wechat_identities", ["user_id"])
    op.create_index(op.f("ix_wechat_identities_unionid"), "wechat_identities", ["unionid"])


def downgrade() -> None:
    op.drop_index(op.f("ix_wechat_identities_unionid"), table_name="wechat_identities")
    op.drop_index(op.f("ix_wechat_identities_user_id"), table_name="wechat_identities")
    op.drop_table("wechat_identities")
