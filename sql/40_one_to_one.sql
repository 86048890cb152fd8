-- 40_one_to_one.sql: stage 4 of association, one-to-one and many-to-one links (type 3).
-- Also the two helpers every linking stage uses: assoc_insert_links and assoc_store_flux.
--
-- Reads:  temprunningcatalog (active pairs of the image not handled by stage 3),
--         runningcatalog_flux and assocxtrsource (the runcat's lightcurve index) by key.
-- Writes: assocxtrsource (type 3), runningcatalog (position aggregates, datapoints,
--         forcedfits_count = 0), runningcatalog_flux (insert or update of the image's band:
--         running means and the variability state that the view varmetric reads).
-- Per matched source these are the four rows association must store: the extraction (loaded
-- before), its link, the runcat and its band's flux row; nothing else is written per source
-- (the pairs live in the session's temporary scratch table).
-- Invariant: after this stage each of those runcats equals its temprunningcatalog row; a
--            many-to-one extraction is appended to every runcat it matched (runcats are never
--            merged; its flux then counts in several lightcurves, as in TraP).

CREATE OR REPLACE FUNCTION assoc_one_to_one(p_image integer, p_flux_division text DEFAULT 'none',
                                            OUT one_to_one integer, OUT many_to_one integer)
LANGUAGE plpgsql VOLATILE
SET jit = off  -- compiling costs more than this statement runs: see 80_associate_image.sql
AS $$
BEGIN
    PERFORM assoc_stage_guard(p_image, 'assoc_one_to_one');   -- 07_stage_guards.sql
    -- the pairs still active and not forked in stage 3 (assoc_type keeps its default, 3); an
    -- extraction linked to several runcats shares its flux among them when flux division is on
    -- (35_flux_division.sql)
    PERFORM assoc_divide_flux(p_image, p_flux_division, 3);
    PERFORM assoc_insert_links(p_image, 3);

    UPDATE runningcatalog rc
    SET datapoints = t.datapoints, wm_ra = t.wm_ra, wm_decl = t.wm_decl,
        wm_uncertainty_ew = t.wm_uncertainty_ew, wm_uncertainty_ns = t.wm_uncertainty_ns,
        avg_ra_err = t.avg_ra_err, avg_decl_err = t.avg_decl_err,
        avg_wra = t.avg_wra, avg_wdecl = t.avg_wdecl,
        avg_weight_ra = t.avg_weight_ra, avg_weight_decl = t.avg_weight_decl,
        forcedfits_count = 0,
        -- re-anchor only a runcat that drifted beyond the margin (else: a HOT update)
        anchor_ra = CASE WHEN rc.anchor_ra IS NULL OR degrees(spoint(radians(rc.anchor_zone_ra), radians(rc.anchor_zone_decl))
                                                         <-> spoint(radians(t.wm_ra), radians(t.wm_decl)))
                                                     > 0.5 * runcat_anchor_margin()
                         THEN t.wm_ra ELSE rc.anchor_ra END,
        anchor_decl = CASE WHEN rc.anchor_ra IS NULL OR degrees(spoint(radians(rc.anchor_zone_ra), radians(rc.anchor_zone_decl))
                                                           <-> spoint(radians(t.wm_ra), radians(t.wm_decl)))
                                                       > 0.5 * runcat_anchor_margin()
                           THEN t.wm_decl ELSE rc.anchor_decl END
    FROM temprunningcatalog t
    WHERE t.image = p_image AND t.assoc_type = 3 AND NOT t.inactive AND rc.id = t.runcat;

    PERFORM assoc_store_flux(p_image, 3);

    SELECT count(*) FILTER (WHERE links = 1), count(*) FILTER (WHERE links > 1)
    INTO one_to_one, many_to_one
    FROM (SELECT count(*) AS links FROM temprunningcatalog
          WHERE image = p_image AND assoc_type = 3 AND NOT inactive
          GROUP BY xtrsrc) per_extraction;
END
$$;
COMMENT ON FUNCTION assoc_one_to_one(integer, text) IS
    'Stage 4: type 3 links for the remaining active pairs; returns the number of one-to-one links '
    'and of extractions that matched several runcats (many-to-one).';

CREATE OR REPLACE FUNCTION assoc_store_flux(p_image integer, p_assoc_type integer)
RETURNS void
LANGUAGE plpgsql VOLATILE
SET jit = off  -- compiling costs more than this statement runs: see 80_associate_image.sql
AS $$
-- Write the flux aggregates and the variability state of the image's active pairs of one
-- assoc type into runningcatalog_flux (insert a band/Stokes seen for the first time, update
-- otherwise), for the runcat each pair links to: new_runcat for a fork child (whose previous
-- state is its parent's), runcat otherwise. Needs the pairs' links inserted first: the median
-- moves along the runcat's lightcurve index, which already holds the new measurement.
--
-- The median of the band's non-NULL f_int is kept as its two middle measurements lo <= hi in
-- (f_int, xtrsrc) order (lo = hi for an odd count m). Adding v:
--   m = 0:    lo = hi = v
--   m odd:    v < lo: lo = the entry just below lo (one index probe), hi = lo
--             v > lo: hi = the entry just above lo (one index probe), lo = lo
--   m even:   v < lo: hi = lo;  v > hi: lo = hi;  otherwise lo = hi = v
-- The median is (lo + hi) / 2, the mean of the two middle values for an even count.
BEGIN
    PERFORM assoc_stage_guard(p_image, 'assoc_store_flux');   -- 07_stage_guards.sql
    WITH img AS MATERIALIZED (      -- read once, not once per pair
        SELECT taustart_ts, freq_eff FROM image WHERE id = p_image
    ), pair AS (
        SELECT t.*, coalesce(t.new_runcat, t.runcat) AS target
        FROM temprunningcatalog t
        WHERE t.image = p_image AND t.assoc_type = p_assoc_type AND NOT t.inactive
    ), state AS MATERIALIZED (
        -- the new state of each pair's band, computed once from the state before
        SELECT p.target AS runcat, p.band, p.stokes, o.tid, p.target <> p.runcat AS fork,
               p.f_datapoints,
               p.avg_f_peak, p.avg_f_peak_sq, p.avg_f_peak_weight, p.avg_weighted_f_peak, p.avg_weighted_f_peak_sq,
               p.avg_f_int, p.avg_f_int_sq, p.avg_f_int_weight, p.avg_weighted_f_int, p.avg_weighted_f_int_sq,
               s.m + (p.f_int IS NOT NULL)::integer AS f_int_count,
               CASE WHEN p.f_int IS NULL THEN o.f_int_sum ELSE coalesce(o.f_int_sum, 0.0) + p.f_int END AS f_int_sum,
               greatest(o.f_int_max, p.f_int) AS f_int_max,
               -- the new middle keys, each one of: the measurement (1), the old lower (2) or
               -- upper (3) middle, the entry below (4) or above (5) the old middle
               (ARRAY[p.f_int, o.median_lo_f_int, o.median_hi_f_int, nb.f_int, na.f_int])[s.lo] AS median_lo_f_int,
               (ARRAY[p.xtrsrc, o.median_lo_xtrsrc, o.median_hi_xtrsrc, nb.xtrsrc, na.xtrsrc])[s.lo] AS median_lo_xtrsrc,
               (ARRAY[p.f_int, o.median_lo_f_int, o.median_hi_f_int, nb.f_int, na.f_int])[s.hi] AS median_hi_f_int,
               (ARRAY[p.xtrsrc, o.median_lo_xtrsrc, o.median_hi_xtrsrc, nb.xtrsrc, na.xtrsrc])[s.hi] AS median_hi_xtrsrc,
               CASE WHEN s.newer THEN img.taustart_ts ELSE o.latest_ts END AS latest_ts,
               CASE WHEN s.newer THEN p.f_int ELSE o.latest_f_int END AS latest_f_int,
               CASE WHEN s.newer THEN img.freq_eff ELSE o.latest_freq END AS latest_freq,
               CASE WHEN s.newer THEN p.xtrsrc ELSE o.latest_xtrsrc END AS latest_xtrsrc
        FROM pair p
        CROSS JOIN img
        -- the state before this measurement: one probe by key (OFFSET 0: never a hash join
        -- over the whole flux table); a fork child starts from its parent's
        -- (a fork child's share h of the history scales its fluxes: 35_flux_division.sql;
        -- h = 1 leaves them bit for bit)
        LEFT JOIN LATERAL (SELECT o.ctid AS tid, o.f_int_count, p.history_fraction * o.f_int_sum AS f_int_sum,
                                  p.history_fraction * o.f_int_max AS f_int_max,
                                  p.history_fraction * o.median_lo_f_int AS median_lo_f_int, o.median_lo_xtrsrc,
                                  p.history_fraction * o.median_hi_f_int AS median_hi_f_int, o.median_hi_xtrsrc,
                                  o.latest_ts, p.history_fraction * o.latest_f_int AS latest_f_int,
                                  o.latest_freq, o.latest_xtrsrc
                           FROM runningcatalog_flux o
                           WHERE o.runcat = p.runcat AND o.band = p.band AND o.stokes = p.stokes
                           OFFSET 0) o ON true
        CROSS JOIN LATERAL (
            SELECT coalesce(o.f_int_count, 0) AS m,
                   (p.f_int, p.xtrsrc) < (o.median_lo_f_int, o.median_lo_xtrsrc) AS below,
                   (p.f_int, p.xtrsrc) > (o.median_hi_f_int, o.median_hi_xtrsrc) AS above,
                   coalesce((img.taustart_ts, coalesce(p.f_int, '-infinity'), img.freq_eff, p.xtrsrc)
                            > (o.latest_ts, coalesce(o.latest_f_int, '-infinity'), o.latest_freq,
                               o.latest_xtrsrc), true) AS newer
        ) s0
        -- which key becomes each middle (the rule in the header): lo, hi
        CROSS JOIN LATERAL (
            SELECT s0.*,
                   CASE WHEN p.f_int IS NULL THEN 2 WHEN s0.m = 0 THEN 1
                        WHEN s0.m % 2 = 1 THEN CASE WHEN s0.below THEN 4 ELSE 2 END
                        WHEN s0.below THEN 2 WHEN s0.above THEN 3 ELSE 1 END AS lo,
                   CASE WHEN p.f_int IS NULL THEN 3 WHEN s0.m = 0 THEN 1
                        WHEN s0.m % 2 = 1 THEN CASE WHEN s0.below THEN 2 ELSE 5 END
                        WHEN s0.below THEN 2 WHEN s0.above THEN 3 ELSE 1 END AS hi
        ) s
        -- the neighbours of an odd count's middle, each one backward or forward step of the
        -- lightcurve index, read only when the middle moves that way
        LEFT JOIN LATERAL (SELECT a.f_int, a.xtrsrc FROM assocxtrsource a
                           WHERE s.m % 2 = 1 AND s.below
                             AND a.runcat = p.target AND a.band = p.band AND a.stokes = p.stokes
                             AND (a.f_int, a.xtrsrc) < (o.median_lo_f_int, o.median_lo_xtrsrc)
                           ORDER BY a.f_int DESC, a.xtrsrc DESC LIMIT 1) nb ON true
        LEFT JOIN LATERAL (SELECT a.f_int, a.xtrsrc FROM assocxtrsource a
                           WHERE s.m % 2 = 1 AND s.above
                             AND a.runcat = p.target AND a.band = p.band AND a.stokes = p.stokes
                             AND (a.f_int, a.xtrsrc) > (o.median_hi_f_int, o.median_hi_xtrsrc)
                           ORDER BY a.f_int, a.xtrsrc LIMIT 1) na ON true
    ), updated AS (
        -- a band already kept: rewritten in place, found by the tuple id just read (no second
        -- index probe, a HOT update)
        UPDATE runningcatalog_flux f
        SET f_datapoints = s.f_datapoints,
            avg_f_peak = s.avg_f_peak, avg_f_peak_sq = s.avg_f_peak_sq,
            avg_f_peak_weight = s.avg_f_peak_weight, avg_weighted_f_peak = s.avg_weighted_f_peak,
            avg_weighted_f_peak_sq = s.avg_weighted_f_peak_sq,
            avg_f_int = s.avg_f_int, avg_f_int_sq = s.avg_f_int_sq,
            avg_f_int_weight = s.avg_f_int_weight, avg_weighted_f_int = s.avg_weighted_f_int,
            avg_weighted_f_int_sq = s.avg_weighted_f_int_sq,
            f_int_count = s.f_int_count, f_int_sum = s.f_int_sum, f_int_max = s.f_int_max,
            median_lo_f_int = s.median_lo_f_int, median_lo_xtrsrc = s.median_lo_xtrsrc,
            median_hi_f_int = s.median_hi_f_int, median_hi_xtrsrc = s.median_hi_xtrsrc,
            latest_ts = s.latest_ts, latest_f_int = s.latest_f_int, latest_freq = s.latest_freq,
            latest_xtrsrc = s.latest_xtrsrc
        FROM state s
        WHERE f.ctid = s.tid AND NOT s.fork
    )
    -- a band seen for the first time, and every fork child's band: a new row
    INSERT INTO runningcatalog_flux (runcat, band, stokes, f_datapoints,
        avg_f_peak, avg_f_peak_sq, avg_f_peak_weight, avg_weighted_f_peak, avg_weighted_f_peak_sq,
        avg_f_int, avg_f_int_sq, avg_f_int_weight, avg_weighted_f_int, avg_weighted_f_int_sq,
        f_int_count, f_int_sum, f_int_max, median_lo_f_int, median_lo_xtrsrc,
        median_hi_f_int, median_hi_xtrsrc, latest_ts, latest_f_int, latest_freq, latest_xtrsrc)
    SELECT runcat, band, stokes, f_datapoints,
           avg_f_peak, avg_f_peak_sq, avg_f_peak_weight, avg_weighted_f_peak, avg_weighted_f_peak_sq,
           avg_f_int, avg_f_int_sq, avg_f_int_weight, avg_weighted_f_int, avg_weighted_f_int_sq,
           f_int_count, f_int_sum, f_int_max, median_lo_f_int, median_lo_xtrsrc,
           median_hi_f_int, median_hi_xtrsrc, latest_ts, latest_f_int, latest_freq, latest_xtrsrc
    FROM state
    WHERE tid IS NULL OR fork;
END
$$;
COMMENT ON FUNCTION assoc_store_flux(integer, integer) IS
    'Insert or update runningcatalog_flux (running means and variability state) from the image''s '
    'active pairs of one assoc type; the pairs'' links must be inserted first.';

CREATE OR REPLACE FUNCTION assoc_insert_links(p_image integer, p_assoc_type integer)
RETURNS void
LANGUAGE plpgsql VOLATILE
SET jit = off  -- compiling costs more than this statement runs: see 80_associate_image.sql
AS $$
-- Links of the image's active pairs of one type (to new_runcat for a fork child), with the
-- variability indices after the measurement (r and distance_arcsec as stored in the pairs) and
-- the measurement's band, Stokes and f_int.
BEGIN
    PERFORM assoc_stage_guard(p_image, 'assoc_insert_links');   -- 07_stage_guards.sql
    INSERT INTO assocxtrsource (runcat, xtrsrc, type, distance_arcsec, r,
                                v_int, eta_int, f_datapoints, v_peak, eta_peak, band, stokes, f_int,
                                flux_fraction)
    SELECT coalesce(new_runcat, runcat), xtrsrc, p_assoc_type, distance_arcsec, r,
           v_index(f_datapoints, avg_f_int, avg_f_int_sq),
           eta_index(f_datapoints, avg_f_int_weight, avg_weighted_f_int, avg_weighted_f_int_sq),
           f_datapoints,
           v_index(f_datapoints, avg_f_peak, avg_f_peak_sq),
           eta_index(f_datapoints, avg_f_peak_weight, avg_weighted_f_peak, avg_weighted_f_peak_sq),
           band, stokes, f_int, flux_fraction
    FROM temprunningcatalog
    WHERE image = p_image AND assoc_type = p_assoc_type AND NOT inactive;
END
$$;
COMMENT ON FUNCTION assoc_insert_links(integer, integer) IS
    'Insert the links (assocxtrsource) of the image''s active pairs of one assoc type, with V and eta after the measurement.';
