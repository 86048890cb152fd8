"""Forced fits, monitoring list, variability metrics, lightcurves and dataset statistics.

Also installs associate_image (80_associate_image.sql), the driver that calls every stage,
last: it needs the stages of this revision.

Revision ID: 0003
Revises: 0002
"""

from alembic import op

from tkpdb.migrations import drop_functions, run_sql_files, set_version

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

# SQL files installed by this revision, in order.
FILES: list[str] = [
    "92_varmetric.sql", "93_lightcurves.sql", "94_nulldetections.sql", "95_monitoring.sql",
]
# The association driver, installed after FILES (it calls their stages).
DRIVER = "80_associate_image.sql"
# Functions created by FILES and DRIVER (dropped on downgrade).
FUNCTIONS: list[str] = [
    "associate_image", "get_nulldetections", "associate_nulldetections",
    "insert_monitor_positions", "get_monitor_entries", "associate_monitored",
    "assoc_update_varmetric", "lightcurve_component", "lightcurve_heritage_points",
    "assoc_record_events", "suspect_transients_of",
]
# Views created by FILES (dropped on downgrade, before the functions).
VIEWS: list[str] = [
    "lightcurve", "suspect_transients", "dataset_statistics",
]


def upgrade() -> None:
    run_sql_files(op, FILES + [DRIVER])
    set_version(op, 3)


def downgrade() -> None:
    for view in VIEWS:
        op.execute(f"DROP VIEW IF EXISTS {view} CASCADE")
    drop_functions(op, FUNCTIONS)
    set_version(op, 2)
