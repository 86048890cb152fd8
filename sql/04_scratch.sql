-- 04_scratch.sql: the scratch table of association, temprunningcatalog.
--
-- Reads:  nothing.
-- Writes: creates the calling session's temporary table temprunningcatalog when it has none.
-- Invariant: every association entry point (associate_image, associate_nulldetections,
--            associate_monitored, and assoc_candidates called on its own) calls assoc_scratch()
--            first; the table then holds only the pairs of the call in progress (rows keyed by
--            image, deleted at the end of the call, and the whole table emptied by every commit).
--
-- temprunningcatalog is the set the stages work over: one row per (runcat, extraction) pair
-- with the runcat aggregates as they would be after adding the pair (TraP's table, same
-- columns, plus the measurement's f_int). It is a session-private TEMPORARY table, ON COMMIT
-- DELETE ROWS, chosen by measurement over the UNLOGGED shared table it was (10,000-source
-- image, 11,607 pairs, write + read back + cleanup, interleaved runs, medians): UNLOGGED 52.7 ms,
-- the same rows in a temporary table 24.3 ms (0.46), a narrow UNLOGGED table carrying only the
-- pair keys 33.8 ms (0.64), a narrow temporary table 21.6 ms (0.41). A temporary table lives
-- in the session's local buffers (no shared-buffer locking, no WAL) and is truncated at
-- commit, where the UNLOGGED table's DELETE left 10,000 dead rows per image behind for a
-- VACUUM that autovacuum may never run. The wide row stays: it costs 10 % more than the
-- narrow one and keeps every stage a read of its own pairs (a narrow row would make each
-- writing stage recompute the aggregates from the runcat, flux row and extraction).
-- Being private to the session, it also makes concurrent calls (other datasets, other sky
-- areas: 06_sky_area_lock.sql) unable to see or block each other's pairs.

CREATE OR REPLACE FUNCTION assoc_scratch()
RETURNS void
LANGUAGE plpgsql VOLATILE
AS $$
BEGIN
    IF to_regclass('pg_temp.temprunningcatalog') IS NOT NULL THEN
        RETURN;
    END IF;
    CREATE TEMPORARY TABLE temprunningcatalog (
        image                  integer NOT NULL,
        runcat                 integer NOT NULL,
        xtrsrc                 bigint NOT NULL,
        dataset                integer NOT NULL,
        band                   integer NOT NULL,
        stokes                 smallint NOT NULL,
        distance_arcsec        double precision NOT NULL,
        r                      double precision NOT NULL,
        f_int                  double precision,           -- the extraction's f_int (Jy)
        datapoints             integer NOT NULL,
        wm_ra                  double precision NOT NULL,
        wm_decl                double precision NOT NULL,
        wm_uncertainty_ew      double precision NOT NULL,
        wm_uncertainty_ns      double precision NOT NULL,
        avg_ra_err             double precision NOT NULL,
        avg_decl_err           double precision NOT NULL,
        avg_wra                double precision NOT NULL,
        avg_wdecl              double precision NOT NULL,
        avg_weight_ra          double precision NOT NULL,
        avg_weight_decl        double precision NOT NULL,
        inactive               boolean NOT NULL DEFAULT false,
        assoc_type             smallint NOT NULL DEFAULT 3,   -- link type the pair will get (2, 3, 7, 9)
        new_runcat             integer,
        flux_fraction          double precision NOT NULL DEFAULT 1,  -- share of the measurement's flux (35_*.sql)
        history_fraction       double precision NOT NULL DEFAULT 1,  -- fork child: share of the parent's history
        evidence               boolean NOT NULL DEFAULT false,       -- resolved mode: a genuine fork or blend (25_*.sql)
        f_datapoints           integer NOT NULL,
        avg_f_peak             double precision,
        avg_f_peak_sq          double precision,
        avg_f_peak_weight      double precision,
        avg_weighted_f_peak    double precision,
        avg_weighted_f_peak_sq double precision,
        avg_f_int              double precision,
        avg_f_int_sq           double precision,
        avg_f_int_weight       double precision,
        avg_weighted_f_int     double precision,
        avg_weighted_f_int_sq  double precision
    ) ON COMMIT DELETE ROWS;
    -- One index only: a second one on (image, runcat) let the planner probe by image alone and
    -- filter (quadratic per image).
    CREATE INDEX temprunningcatalog_image ON temprunningcatalog (image, xtrsrc);
    COMMENT ON TABLE temprunningcatalog IS 'Candidate (runcat, extraction) pairs of the association '
        'in progress in this session, with the runcat aggregates as they would be after adding the '
        'pair; positions deg, fluxes Jy. Empty between calls.';
END
$$;
COMMENT ON FUNCTION assoc_scratch() IS
    'Create this session''s temporary temprunningcatalog (the scratch pairs of association) if it '
    'does not exist yet.';
