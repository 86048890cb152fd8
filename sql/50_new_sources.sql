-- 50_new_sources.sql: stage 5 of association, new runcats for unmatched blind extractions.
--
-- Reads:  extractedsource (blind rows of the image), temprunningcatalog (to know which matched:
--         an active pair; the resolved mode may set aside every pair of an extraction),
--         image, skyregion.
-- Writes: runningcatalog (datapoints 1, position = the extraction), runningcatalog_flux (the
--         image's band and Stokes, with its variability state: one measurement),
--         assocxtrsource (type 4: r 0, distance 0, V 0, eta 0),
--         assocskyrgn (every region of the dataset containing its position, which is the
--         image's own region unless the extraction lies outside its image's extraction radius).
-- Invariant: every blind extraction of an associated image is in at least one lightcurve; a
--            new runcat is linked to exactly the sky regions that contain it, so coverage (null
--            detections, transient candidates) never comes from an image that did not cover it.

CREATE OR REPLACE FUNCTION assoc_new_sources(p_image integer)
RETURNS integer
LANGUAGE plpgsql VOLATILE
SET jit = off  -- compiling costs more than this statement runs: see 80_associate_image.sql
AS $$
DECLARE
    n integer;
BEGIN
    PERFORM assoc_stage_guard(p_image, 'assoc_new_sources');   -- 07_stage_guards.sql
    -- The image's constants are read once; new rows are joined back to their extraction
    -- through the primary key (never CTE to CTE, which has no index).
    WITH img AS (
        SELECT id, dataset, band, stokes, skyrgn, taustart_ts, freq_eff FROM image WHERE id = p_image
    ), new_rc AS (
        INSERT INTO runningcatalog (xtrsrc, dataset, datapoints, wm_ra, wm_decl,
                                    wm_uncertainty_ew, wm_uncertainty_ns, avg_ra_err, avg_decl_err,
                                    avg_wra, avg_wdecl, avg_weight_ra, avg_weight_decl,
                                    anchor_ra, anchor_decl)
        SELECT x.id, img.dataset, 1, x.ra, x.decl, x.uncertainty_ew, x.uncertainty_ns,
               x.ra_err, x.decl_err,
               x.ra * x.uncertainty_ew ^ -2, x.decl * x.uncertainty_ns ^ -2,
               x.uncertainty_ew ^ -2, x.uncertainty_ns ^ -2, x.ra, x.decl
        FROM img
        JOIN extractedsource x ON x.image = p_image AND x.extract_type = 0   -- constant: the
                                                  -- planner then uses the image's own statistics
        -- a per-extraction probe of (image, xtrsrc) (LIMIT keeps it one, whatever the
        -- statistics of the scratch table say; an anti-join may rescan the image's pairs)
        LEFT JOIN LATERAL (SELECT true AS matched FROM temprunningcatalog t
                           WHERE t.image = p_image AND t.xtrsrc = x.id AND NOT t.inactive
                           LIMIT 1) m ON true
        WHERE m.matched IS NULL
        RETURNING id, xtrsrc, pos
    ), nx AS MATERIALIZED (
        -- one primary-key probe per new runcat (OFFSET 0: never a hash join that would read
        -- every extraction of the database when the estimate of new_rc is large)
        SELECT rc.id, rc.xtrsrc, rc.pos, x.f_peak, x.f_peak_err, x.f_int, x.f_int_err
        FROM new_rc rc
        CROSS JOIN LATERAL (SELECT x.f_peak, x.f_peak_err, x.f_int, x.f_int_err
                            FROM extractedsource x WHERE x.id = rc.xtrsrc OFFSET 0) x
    ), flux AS (
        INSERT INTO runningcatalog_flux (runcat, band, stokes, f_datapoints,
            avg_f_peak, avg_f_peak_sq, avg_f_peak_weight, avg_weighted_f_peak, avg_weighted_f_peak_sq,
            avg_f_int, avg_f_int_sq, avg_f_int_weight, avg_weighted_f_int, avg_weighted_f_int_sq,
            f_int_count, f_int_sum, f_int_max, median_lo_f_int, median_lo_xtrsrc,
            median_hi_f_int, median_hi_xtrsrc, latest_ts, latest_f_int, latest_freq, latest_xtrsrc)
        SELECT x.id, img.band, img.stokes, 1,
               x.f_peak, x.f_peak ^ 2, x.f_peak_err ^ -2, x.f_peak * x.f_peak_err ^ -2,
               x.f_peak ^ 2 * x.f_peak_err ^ -2,
               x.f_int, x.f_int ^ 2, x.f_int_err ^ -2, x.f_int * x.f_int_err ^ -2,
               x.f_int ^ 2 * x.f_int_err ^ -2,
               (x.f_int IS NOT NULL)::integer, x.f_int, x.f_int,
               x.f_int, CASE WHEN x.f_int IS NOT NULL THEN x.xtrsrc END,
               x.f_int, CASE WHEN x.f_int IS NOT NULL THEN x.xtrsrc END,
               img.taustart_ts, x.f_int, img.freq_eff, x.xtrsrc
        FROM nx x
        CROSS JOIN img
    ), assoc AS (
        INSERT INTO assocxtrsource (runcat, xtrsrc, type, distance_arcsec, r,
                                    v_int, eta_int, f_datapoints, v_peak, eta_peak, band, stokes, f_int)
        SELECT x.id, x.xtrsrc, 4, 0, 0, 0, 0, 1, 0, 0, img.band, img.stokes, x.f_int
        FROM nx x CROSS JOIN img
    ), sky AS (
        INSERT INTO assocskyrgn (runcat, skyrgn, distance_deg)
        SELECT rc.id, s.id, degrees(rc.pos <-> s.centre)
        FROM nx rc
        CROSS JOIN img
        -- only the regions that contain the position: an extraction outside its own image's
        -- extraction circle is not covered by that image (02_images.sql)
        CROSS JOIN LATERAL skyregions_containing(img.dataset, rc.pos) s
    )
    SELECT count(*) INTO n FROM new_rc;
    RETURN n;
END
$$;
COMMENT ON FUNCTION assoc_new_sources(integer) IS
    'Stage 5: a new runcat (type 4) for every blind extraction of the image without a candidate; returns their number.';
