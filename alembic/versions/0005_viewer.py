"""Read functions of the web viewer and its cone search (sql/98_viewer.sql).

Revision ID: 0005
Revises: 0004
"""

from alembic import op

from tkpdb.migrations import drop_functions, reinstall_functions, set_version

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

# Functions created by sql/98_viewer.sql (dropped on downgrade).
FUNCTIONS: list[str] = [
    "viewer_dataset_runcats", "viewer_lightcurves", "viewer_candidates", "viewer_sky",
    "viewer_bins2d", "viewer_upper_limits",
    "viewer_image_outcome", "viewer_image_detections", "viewer_cone", "viewer_scs",
]


def upgrade() -> None:
    # no table changes: functions only
    reinstall_functions(op, revision)
    set_version(op, int(revision))


def downgrade() -> None:
    drop_functions(op, FUNCTIONS)
    set_version(op, 4)
