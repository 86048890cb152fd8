"""Manifest runs: image_input (the files each image was loaded from, for resuming), and the
result functions of the command line.

Revision ID: 0004
Revises: 0003
"""

from alembic import op

from tkpdb.migrations import drop_functions, reinstall_functions, set_version

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

FUNCTIONS = ["record_image_input", "dataset_image_inputs", "catalogue_extractions",
             "dataset_transient_candidates", "dataset_variability", "dataset_runcat_fluxes",
             "dataset_lightcurves"]


def upgrade() -> None:
    # 1. the table changes made in sql/01_schema.sql, as idempotent DDL (see tkpdb.migrations)
    op.execute("""
        CREATE TABLE IF NOT EXISTS image_input (
            image     integer PRIMARY KEY REFERENCES image (id) ON DELETE CASCADE,
            dataset   integer NOT NULL REFERENCES dataset (id) ON DELETE CASCADE,
            catalogue text NOT NULL,
            format    text NOT NULL,
            fits      text,
            noise     text,
            sha256    text NOT NULL,
            UNIQUE (dataset, catalogue)
        )""")
    op.execute("""
        COMMENT ON TABLE image_input IS 'The files an image was loaded from by a manifest run: catalogue '
            '(path relative to the manifest), its finder format, FITS image and noise map (or NULL), and '
            'the SHA-256 of their contents and the image metadata; one catalogue per dataset at most.'""")
    # 2. the newest functions and views of sql/
    reinstall_functions(op, revision)
    set_version(op, int(revision))


def downgrade() -> None:
    drop_functions(op, FUNCTIONS)
    op.execute("DROP TABLE IF EXISTS image_input")
    set_version(op, 3)
