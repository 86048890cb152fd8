"""Association: image registration and the staged association functions.

The driver associate_image (80_associate_image.sql) calls stages of later revisions too, so
the newest revision installs it (0003); at this revision the stages are called one by one.

Revision ID: 0002
Revises: 0001
"""

from alembic import op

from tkpdb.migrations import drop_functions, run_sql_files, set_version

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

FILES = [
    "02_images.sql", "10_candidates.sql", "20_many_to_many.sql", "30_one_to_many.sql",
    "40_one_to_one.sql", "50_new_sources.sql", "60_transient_candidates.sql", "70_cleanup.sql",
]
FUNCTIONS = [
    "assoc_cleanup", "assoc_transient_candidates", "assoc_new_sources",
    "assoc_one_to_one", "assoc_store_flux", "assoc_insert_links", "assoc_one_to_many",
    "assoc_prune_many_to_many",
    "assoc_candidates", "insert_image", "get_skyregion", "get_band", "dataset_lock",
    "delete_dataset", "check_integrity",
]


def upgrade() -> None:
    run_sql_files(op, FILES)
    set_version(op, 2)


def downgrade() -> None:
    drop_functions(op, FUNCTIONS)
    set_version(op, 1)
