"""The resolved association mode and flux division.

Tables: ``assocxtrsource.flux_fraction`` (the share of a measurement's flux a lightcurve holds,
1 unless flux division split it), ``association_log.mode`` and ``.flux_division`` (what each
image was associated with), ``fork_log.history_fraction`` (a fork child's share of its
parent's history). Functions: every file of ``sql/`` again, among them ``25_resolved.sql``
and ``35_flux_division.sql``; ``associate_image`` gains the arguments ``mode`` and
``flux_division`` (the old signature is dropped with the other functions).

Downgrade: only the recorded version goes back. The columns and functions stay: the functions
installed are those of ``sql/`` (the files of 0007 are this revision's now), they read the new
columns, and the TraP mode they run by default is 0007's association; ``alembic downgrade
base`` drops everything.

Revision ID: 0008
Revises: 0007
"""

from alembic import op

from tkpdb.migrations import execute_sql, reinstall_functions, set_version

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

def upgrade() -> None:
    # 1. the table changes of sql/01_schema.sql, as idempotent DDL
    execute_sql(op, """
        ALTER TABLE assocxtrsource ADD COLUMN IF NOT EXISTS flux_fraction double precision NOT NULL
            DEFAULT 1 CHECK (flux_fraction > 0 AND flux_fraction <= 1);
        COMMENT ON COLUMN assocxtrsource.f_int IS 'Integrated flux (Jy) this lightcurve holds of the measurement: '
            'extractedsource.f_int x flux_fraction.';
        COMMENT ON COLUMN assocxtrsource.flux_fraction IS 'Share (0, 1] of the measurement''s fluxes (f_peak, f_int and '
            'their errors) counted in this lightcurve: 1 unless flux division split a blend (many-to-one) or '
            'a forked history (one-to-many) among lightcurves; the shares of one measurement add up to 1.';
        ALTER TABLE association_log
            ADD COLUMN IF NOT EXISTS mode text NOT NULL DEFAULT 'trap' CHECK (mode IN ('trap', 'resolved')),
            ADD COLUMN IF NOT EXISTS flux_division text NOT NULL DEFAULT 'none'
                CHECK (flux_division IN ('none', 'equal', 'flux'));
        COMMENT ON TABLE association_log IS 'What associate_image did to each image (its returned counts): '
            'one_to_many = runcats forked, many_to_one = extractions appended to several runcats, '
            'many_to_many_pruned = candidate pairs dropped; mode and flux_division the association '
            'mode and flux division it ran with (80_associate_image.sql).';
        ALTER TABLE fork_log ADD COLUMN IF NOT EXISTS history_fraction double precision NOT NULL DEFAULT 1;
        COMMENT ON TABLE fork_log IS 'One row per lightcurve born by a one-to-many fork: the runcat it '
            'replaced (deleted, so no foreign key; runcat ids are history here too), the image and '
            'the base-point extraction (type 2), and the parent''s number of measurements and mean f_int '
            '(Jy) in that image''s band and Stokes just before the fork; history_fraction the share of '
            'the parent''s history the child holds (1 without flux division).';
    """)
    # 2. the newest functions and views of sql/, then the privileges (99_privileges.sql)
    reinstall_functions(op, revision)
    set_version(op, int(revision))


def downgrade() -> None:
    set_version(op, int(down_revision))
