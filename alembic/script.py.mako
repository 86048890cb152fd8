"""${message}

Revision ID: ${up_revision}
Revises: ${down_revision | comma,n}
Create Date: ${create_date}
"""

from alembic import op

from tkpdb.migrations import reinstall_functions, set_version

revision = ${repr(up_revision)}
down_revision = ${repr(down_revision)}
branch_labels = None
depends_on = None


def upgrade() -> None:
    # 1. the table changes made in sql/01_schema.sql, as idempotent DDL (see tkpdb.migrations)
    ${upgrades if upgrades else "pass"}
    # 2. the newest functions and views of sql/
    reinstall_functions(op, revision)
    set_version(op, int(revision))


def downgrade() -> None:
    ${downgrades if downgrades else "pass"}
