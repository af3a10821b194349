"""staff accounts

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-05

Operators create and disable staff accounts (kernel/identity/staff.py), and
a new role ``warehouse`` (warehouse staff: receiving and sorting) joins the
roles. ``users.role`` is stored as every ``enum_column``: VARCHAR(32) with a
CHECK listing the values (not a native PostgreSQL enum), so the CHECK is
rewritten, as 0007 and 0013 did. ``users.disabled_at`` exists since 0001.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

ROLES = ("operator", "leader", "supplier", "dispatcher", "customer", "driver")


def _allowed(values: tuple[str, ...]) -> None:
    """Rewrite the CHECK listing users.role's values. PostgreSQL alters it in
    place; SQLite rebuilds the table (Alembic reflects its named CHECKs, so
    the rebuilt table keeps every other constraint and index)."""
    name = op.f("ck_users_user_role")
    check = "role IN (" + ", ".join(f"'{v}'" for v in values) + ")"
    if op.get_bind().dialect.name == "postgresql":
        op.drop_constraint(name, "users", type_="check")
        op.create_check_constraint(name, "users", check)
        return
    with op.batch_alter_table("users", recreate="always") as batch_op:
        batch_op.drop_constraint(name, type_="check")
        batch_op.create_check_constraint(name, sa.text(check))


def upgrade() -> None:
    _allowed((*ROLES, "warehouse"))


def downgrade() -> None:
    # Warehouse accounts would break the narrower CHECK: a downgrade with
    # such accounts fails rather than changing who may do what.
    _allowed(ROLES)
