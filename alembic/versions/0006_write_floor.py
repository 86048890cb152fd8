"""Association at the write floor: zones index, scratch pairs in a temporary table, variability
state in the flux rows (varmetric a view), a lightcurve index on the links, no positional
index on extractions, a lock per sky area.

Revision ID: 0006
Revises: 0005
"""

from alembic import op

from tkpdb.migrations import drop_functions, reinstall_functions, set_version

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

# The table changes of sql/01_schema.sql, as idempotent DDL (nothing happens on a new database).
UPGRADE = r"""
-- extractions: no positional index at ingest (cone searches: extractedsource_cone())
DROP INDEX IF EXISTS extractedsource_pos;

-- runcats: the zones B-tree on the anchor replaces the GiST index
DROP INDEX IF EXISTS runningcatalog_anchor;
ALTER TABLE runningcatalog DROP COLUMN IF EXISTS anchor;
ALTER TABLE runningcatalog
    ADD COLUMN IF NOT EXISTS anchor_zone integer GENERATED ALWAYS AS
        (floor(coalesce(anchor_decl, wm_decl) / 0.1)::integer) STORED,
    ADD COLUMN IF NOT EXISTS anchor_zone_ra double precision GENERATED ALWAYS AS
        (coalesce(anchor_ra, wm_ra)) STORED,
    ADD COLUMN IF NOT EXISTS anchor_zone_decl double precision GENERATED ALWAYS AS
        (coalesce(anchor_decl, wm_decl)) STORED;
CREATE INDEX IF NOT EXISTS runningcatalog_zone
    ON runningcatalog (dataset, anchor_zone, anchor_zone_ra, anchor_zone_decl) WHERE NOT mon_src;
COMMENT ON COLUMN runningcatalog.anchor_zone IS 'Declination zone of the anchor, floor(decl / zone_height()); key of runningcatalog_zone.';
COMMENT ON COLUMN runningcatalog.anchor_zone_ra IS 'RA of the anchor (deg; anchor_ra, else wm_ra), within runcat_anchor_margin() of pos.';
COMMENT ON COLUMN runningcatalog.anchor_zone_decl IS 'Declination of the anchor (deg; anchor_decl, else wm_decl).';

-- links: the measurement's band, Stokes and f_int, and the lightcurve index
ALTER TABLE assocxtrsource
    ADD COLUMN IF NOT EXISTS band integer,
    ADD COLUMN IF NOT EXISTS stokes smallint,
    ADD COLUMN IF NOT EXISTS f_int double precision;
UPDATE assocxtrsource a SET band = i.band, stokes = i.stokes, f_int = x.f_int
FROM extractedsource x JOIN image i ON i.id = x.image
WHERE x.id = a.xtrsrc AND a.band IS NULL;
ALTER TABLE assocxtrsource ALTER COLUMN band SET NOT NULL, ALTER COLUMN stokes SET NOT NULL;
ALTER TABLE assocxtrsource DROP CONSTRAINT IF EXISTS assocxtrsource_runcat_xtrsrc_key;
CREATE INDEX IF NOT EXISTS assocxtrsource_lightcurve
    ON assocxtrsource (runcat, band, stokes, f_int, xtrsrc);
COMMENT ON COLUMN assocxtrsource.band IS 'Frequency band of the measurement''s image.';
COMMENT ON COLUMN assocxtrsource.stokes IS 'Stokes parameter of the measurement''s image.';
COMMENT ON COLUMN assocxtrsource.f_int IS 'Integrated flux (Jy) of the measurement (extractedsource.f_int).';

-- flux rows: the variability state (varmetric becomes a view over it), room for HOT updates
ALTER TABLE runningcatalog_flux SET (fillfactor = 45);
ALTER TABLE runningcatalog_flux
    ADD COLUMN IF NOT EXISTS f_int_count integer NOT NULL DEFAULT 0,
    ADD COLUMN IF NOT EXISTS f_int_sum double precision,
    ADD COLUMN IF NOT EXISTS f_int_max double precision,
    ADD COLUMN IF NOT EXISTS median_lo_f_int double precision,
    ADD COLUMN IF NOT EXISTS median_lo_xtrsrc bigint,
    ADD COLUMN IF NOT EXISTS median_hi_f_int double precision,
    ADD COLUMN IF NOT EXISTS median_hi_xtrsrc bigint,
    ADD COLUMN IF NOT EXISTS latest_ts timestamp,
    ADD COLUMN IF NOT EXISTS latest_f_int double precision,
    ADD COLUMN IF NOT EXISTS latest_freq double precision,
    ADD COLUMN IF NOT EXISTS latest_xtrsrc bigint;
WITH points AS (
    SELECT a.runcat, a.band, a.stokes, a.f_int, a.xtrsrc, i.taustart_ts, i.freq_eff,
           count(a.f_int) OVER w AS m,
           row_number() OVER (PARTITION BY a.runcat, a.band, a.stokes
                              ORDER BY a.f_int NULLS LAST, a.xtrsrc) AS k,
           row_number() OVER (PARTITION BY a.runcat, a.band, a.stokes
                              ORDER BY i.taustart_ts DESC, a.f_int DESC NULLS LAST, i.freq_eff DESC,
                                       a.xtrsrc DESC) AS recent
    FROM assocxtrsource a
    JOIN extractedsource x ON x.id = a.xtrsrc
    JOIN image i ON i.id = x.image
    WINDOW w AS (PARTITION BY a.runcat, a.band, a.stokes)
), state AS (
    SELECT runcat, band, stokes, max(m) AS m, sum(f_int) AS total, max(f_int) AS top,
           max(f_int) FILTER (WHERE k = (m + 1) / 2) AS lo_f, max(xtrsrc) FILTER (WHERE k = (m + 1) / 2) AS lo_x,
           max(f_int) FILTER (WHERE k = m / 2 + 1) AS hi_f, max(xtrsrc) FILTER (WHERE k = m / 2 + 1) AS hi_x,
           max(taustart_ts) FILTER (WHERE recent = 1) AS ts, max(f_int) FILTER (WHERE recent = 1) AS f,
           max(freq_eff) FILTER (WHERE recent = 1) AS freq, max(xtrsrc) FILTER (WHERE recent = 1) AS x
    FROM points GROUP BY runcat, band, stokes
)
UPDATE runningcatalog_flux f
SET f_int_count = s.m, f_int_sum = s.total, f_int_max = s.top,
    median_lo_f_int = s.lo_f,
    median_lo_xtrsrc = s.lo_x, median_hi_f_int = s.hi_f, median_hi_xtrsrc = s.hi_x,
    latest_ts = s.ts, latest_f_int = s.f, latest_freq = s.freq, latest_xtrsrc = s.x
FROM state s
WHERE (f.runcat, f.band, f.stokes) = (s.runcat, s.band, s.stokes) AND f.latest_ts IS NULL;
COMMENT ON COLUMN runningcatalog_flux.f_int_count IS 'Measurements of the band with a non-NULL f_int.';
COMMENT ON COLUMN runningcatalog_flux.f_int_sum IS 'Sum of their f_int (Jy), in association order.';
COMMENT ON COLUMN runningcatalog_flux.f_int_max IS 'Largest f_int (Jy).';
COMMENT ON COLUMN runningcatalog_flux.median_lo_f_int IS 'f_int (Jy) of the lower middle measurement in (f_int, extraction id) order; equal to median_hi for an odd count.';
COMMENT ON COLUMN runningcatalog_flux.median_lo_xtrsrc IS 'Extraction id of the lower middle measurement.';
COMMENT ON COLUMN runningcatalog_flux.median_hi_f_int IS 'f_int (Jy) of the upper middle measurement.';
COMMENT ON COLUMN runningcatalog_flux.median_hi_xtrsrc IS 'Extraction id of the upper middle measurement.';
COMMENT ON COLUMN runningcatalog_flux.latest_ts IS 'Start time of the latest measurement (ties: highest f_int, then freq_eff, then extraction id).';
COMMENT ON COLUMN runningcatalog_flux.latest_f_int IS 'f_int (Jy) of the latest measurement.';
COMMENT ON COLUMN runningcatalog_flux.latest_freq IS 'freq_eff (Hz) of the image of the latest measurement.';
COMMENT ON COLUMN runningcatalog_flux.latest_xtrsrc IS 'Extraction id of the latest measurement.';
COMMENT ON TABLE runningcatalog_flux IS 'Running flux means per lightcurve, band and Stokes (Jy, Jy^2, '
    'weights 1/err^2 in Jy^-2) over f_datapoints measurements, and the state of its variability '
    'metrics (view varmetric).';

-- tables that became a view (varmetric), a temporary table (temprunningcatalog) or nothing
DROP TABLE IF EXISTS varmetric_band;
DO $$ BEGIN
    IF EXISTS (SELECT FROM pg_class WHERE relname = 'varmetric' AND relkind = 'r'
               AND relnamespace = current_schema()::regnamespace) THEN
        DROP TABLE varmetric;
    END IF;
    IF EXISTS (SELECT FROM pg_class WHERE relname = 'temprunningcatalog' AND relkind = 'r'
               AND relnamespace = current_schema()::regnamespace) THEN
        DROP TABLE temprunningcatalog;
    END IF;
END $$;
"""


def upgrade() -> None:
    # 1. the table changes made in sql/01_schema.sql, as idempotent DDL (see tkpdb.migrations)
    op.get_bind().connection.dbapi_connection.cursor().execute(UPGRADE)
    drop_functions(op, ["assoc_update_varmetric"])
    # 2. the newest functions and views of sql/
    reinstall_functions(op, revision)
    set_version(op, int(revision))


def downgrade() -> None:
    op.execute("DROP VIEW IF EXISTS varmetric CASCADE")
    drop_functions(op, ["zone_height", "assoc_scratch", "runcat_zone_search", "runcat_cone", "sky_lock_cells",
                        "sky_area_lock", "extractedsource_cone"])
    set_version(op, 5)
