-- 30_one_to_many.sql: stage 3 of association, fork runcats that match several extractions.
--
-- Reads:  temprunningcatalog (active pairs of the image), and by key from the forked runcats:
--         runningcatalog_flux, assocxtrsource, assocskyrgn, newsource.
-- Writes: one new runcat per active pair of a runcat with several active pairs
--         (temprunningcatalog.new_runcat, assoc_type = 2); its lightcurve (type 6 copies of the
--         old runcat's links, then the type 2 base point); its flux rows (every band and Stokes
--         of the old runcat with their variability state, the image's band updated); copies of
--         assocskyrgn and newsource; finally deletes the old runcat and its dependants
--         (extractedsource.ff_runcat and monitor.runcat pointing at it become NULL).
-- Invariant: a fork loses no history: every new runcat carries the old runcat's full lightcurve
--            and the flux statistics of every band, plus the one new measurement.

CREATE OR REPLACE FUNCTION assoc_one_to_many(p_image integer, p_flux_division text DEFAULT 'none')
RETURNS integer
LANGUAGE plpgsql VOLATILE
SET jit = off  -- compiling costs more than this statement runs: see 80_associate_image.sql
-- Every table this stage reads is reached by key from the forked pairs. Statistics taken when
-- a table was small (newsource: a few rows) made the planner scan it whole once per fork, in
-- the copies and in the foreign-key actions of the runcat deletion (queries of PostgreSQL's
-- own, which no SQL here can shape); with sequential scans off it takes the index each time.
SET enable_seqscan = off
AS $$
DECLARE
    n_forked integer;
    parents integer[];
BEGIN
    PERFORM assoc_stage_guard(p_image, 'assoc_one_to_many');   -- 07_stage_guards.sql
    -- the active pairs of runcats with several active pairs (window count, update by row
    -- address: no self-join of the scratch table, see 20_many_to_many.sql)
    UPDATE temprunningcatalog
    SET assoc_type = 2, new_runcat = nextval(pg_get_serial_sequence('runningcatalog', 'id'))
    WHERE ctid = ANY (ARRAY(
        SELECT row_id FROM (SELECT ctid AS row_id, count(*) OVER (PARTITION BY runcat) AS pairs
                            FROM temprunningcatalog
                            WHERE image = p_image AND NOT inactive) c
        WHERE pairs > 1));

    SELECT count(DISTINCT runcat) INTO n_forked
    FROM temprunningcatalog WHERE image = p_image AND assoc_type = 2;
    IF n_forked = 0 THEN
        RETURN 0;
    END IF;
    -- each child's share of the parent's history (1 without flux division: 35_flux_division.sql)
    PERFORM assoc_divide_flux(p_image, p_flux_division, 2);

    INSERT INTO runningcatalog (id, xtrsrc, dataset, datapoints, wm_ra, wm_decl,
                                wm_uncertainty_ew, wm_uncertainty_ns, avg_ra_err, avg_decl_err,
                                avg_wra, avg_wdecl, avg_weight_ra, avg_weight_decl,
                                anchor_ra, anchor_decl)
    SELECT new_runcat, xtrsrc, dataset, datapoints, wm_ra, wm_decl,
           wm_uncertainty_ew, wm_uncertainty_ns, avg_ra_err, avg_decl_err,
           avg_wra, avg_wdecl, avg_weight_ra, avg_weight_decl, wm_ra, wm_decl
    FROM temprunningcatalog
    WHERE image = p_image AND assoc_type = 2;

    -- Every lookup below is a probe by key from the image's forked pairs (LATERAL ... OFFSET 0):
    -- a join would let a default estimate (thousands of links per runcat without statistics)
    -- turn it into a sequential scan of the whole table (measured: two scans of 774,000
    -- links, 300 ms, for 60 forks).

    -- lightcurve: the old history (type 6, values unchanged but for the child's share of the
    -- flux, which leaves V and eta as they are; a forced fit at a null detection stays type 7,
    -- no position measurement: the child's datapoints are the parent's plus one), then the
    -- base point (type 2)
    INSERT INTO assocxtrsource (runcat, xtrsrc, type, distance_arcsec, r, loglr,
                                v_int, eta_int, f_datapoints, v_peak, eta_peak, band, stokes, f_int,
                                flux_fraction)
    SELECT t.new_runcat, a.xtrsrc, CASE WHEN a.type = 7 THEN 7 ELSE 6 END, a.distance_arcsec, a.r, a.loglr,
           a.v_int, a.eta_int, a.f_datapoints, a.v_peak, a.eta_peak, a.band, a.stokes,
           a.f_int * t.history_fraction, a.flux_fraction * t.history_fraction
    FROM temprunningcatalog t
    CROSS JOIN LATERAL (SELECT a.* FROM assocxtrsource a WHERE a.runcat = t.runcat OFFSET 0) a
    WHERE t.image = p_image AND t.assoc_type = 2;
    PERFORM assoc_insert_links(p_image, 2);

    -- flux statistics: other bands and Stokes copied (with their variability state, scaled by
    -- the child's share h of the history: 35_flux_division.sql), the image's band from the
    -- pair (after the links: its median moves along them)
    INSERT INTO runningcatalog_flux (runcat, band, stokes, f_datapoints,
        avg_f_peak, avg_f_peak_sq, avg_f_peak_weight, avg_weighted_f_peak, avg_weighted_f_peak_sq,
        avg_f_int, avg_f_int_sq, avg_f_int_weight, avg_weighted_f_int, avg_weighted_f_int_sq,
        f_int_count, f_int_sum, f_int_max, median_lo_f_int, median_lo_xtrsrc,
        median_hi_f_int, median_hi_xtrsrc, latest_ts, latest_f_int, latest_freq, latest_xtrsrc)
    SELECT t.new_runcat, f.band, f.stokes, f.f_datapoints,
           h * f.avg_f_peak, h ^ 2 * f.avg_f_peak_sq, h ^ -2 * f.avg_f_peak_weight,
           f.avg_weighted_f_peak / h, f.avg_weighted_f_peak_sq,
           h * f.avg_f_int, h ^ 2 * f.avg_f_int_sq, h ^ -2 * f.avg_f_int_weight,
           f.avg_weighted_f_int / h, f.avg_weighted_f_int_sq,
           f.f_int_count, h * f.f_int_sum, h * f.f_int_max, h * f.median_lo_f_int, f.median_lo_xtrsrc,
           h * f.median_hi_f_int, f.median_hi_xtrsrc, f.latest_ts, h * f.latest_f_int, f.latest_freq,
           f.latest_xtrsrc
    FROM temprunningcatalog t
    CROSS JOIN LATERAL (SELECT t.history_fraction AS h) s
    CROSS JOIN LATERAL (SELECT f.* FROM runningcatalog_flux f WHERE f.runcat = t.runcat OFFSET 0) f
    WHERE t.image = p_image AND t.assoc_type = 2 AND (f.band, f.stokes) <> (t.band, t.stokes);
    PERFORM assoc_store_flux(p_image, 2);

    INSERT INTO assocskyrgn (runcat, skyrgn, distance_deg)
    SELECT t.new_runcat, s.skyrgn, s.distance_deg
    FROM temprunningcatalog t
    CROSS JOIN LATERAL (SELECT s.* FROM assocskyrgn s WHERE s.runcat = t.runcat OFFSET 0) s
    WHERE t.image = p_image AND t.assoc_type = 2;

    INSERT INTO newsource (runcat, trigger_xtrsrc, previous_limits_image, newsource_type)
    SELECT t.new_runcat, ns.trigger_xtrsrc, ns.previous_limits_image, ns.newsource_type
    FROM temprunningcatalog t
    CROSS JOIN LATERAL (SELECT ns.* FROM newsource ns WHERE ns.runcat = t.runcat OFFSET 0) ns
    WHERE t.image = p_image AND t.assoc_type = 2;

    -- the old runcats and their dependants, each row found by the same probes and deleted by
    -- its tuple id (newsource cascades; ff_runcat and monitor.runcat become NULL through their
    -- foreign keys)
    SELECT array_agg(DISTINCT runcat) INTO parents
    FROM temprunningcatalog WHERE image = p_image AND assoc_type = 2;
    DELETE FROM assocxtrsource WHERE ctid = ANY (ARRAY(
        SELECT a.ctid FROM unnest(parents) p(runcat)
        CROSS JOIN LATERAL (SELECT a.ctid FROM assocxtrsource a WHERE a.runcat = p.runcat OFFSET 0) a));
    DELETE FROM runningcatalog_flux WHERE ctid = ANY (ARRAY(
        SELECT f.ctid FROM unnest(parents) p(runcat)
        CROSS JOIN LATERAL (SELECT f.ctid FROM runningcatalog_flux f WHERE f.runcat = p.runcat OFFSET 0) f));
    DELETE FROM assocskyrgn WHERE ctid = ANY (ARRAY(
        SELECT s.ctid FROM unnest(parents) p(runcat)
        CROSS JOIN LATERAL (SELECT s.ctid FROM assocskyrgn s WHERE s.runcat = p.runcat OFFSET 0) s));
    DELETE FROM runningcatalog WHERE ctid = ANY (ARRAY(
        SELECT rc.ctid FROM unnest(parents) p(runcat)
        CROSS JOIN LATERAL (SELECT rc.ctid FROM runningcatalog rc WHERE rc.id = p.runcat OFFSET 0) rc));

    RETURN n_forked;
END
$$;
COMMENT ON FUNCTION assoc_one_to_many(integer, text) IS
    'Stage 3: fork every runcat with several active candidate pairs into one runcat per pair; returns the number of runcats forked.';
