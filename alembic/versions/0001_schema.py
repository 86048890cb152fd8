"""Schema: extensions, sky helpers and the tables.

Revision ID: 0001
Revises:
"""

from alembic import op

from tkpdb.migrations import drop_functions, run_sql_files, set_version

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

TABLES = [
    "association_log", "fork_log", "temprunningcatalog", "varmetric_band", "varmetric",
    "newsource", "assocskyrgn", "assocxtrsource",
    "runningcatalog_flux", "monitor", "runningcatalog", "extractedsource", "rejection", "image",
    "skyregion", "frequencyband", "dataset", "rejectreason", "version",
]
SKY_FUNCTIONS = [
    "ra_norm", "alpha", "sky_offsets", "sky_shift", "offset_distance_arcsec", "deruiter",
    "v_index", "eta_index", "running_mean", "runcat_anchor_margin",
]


def upgrade() -> None:
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_sphere")
    op.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
    run_sql_files(op, ["00_sky.sql", "01_schema.sql"])
    set_version(op, 1)


def downgrade() -> None:
    # The extensions stay: other schemas of the database may use them.
    for table in TABLES:
        op.execute(f"DROP TABLE IF EXISTS {table} CASCADE")
    drop_functions(op, SKY_FUNCTIONS)
