-- 40_one_to_one.sql: stage 4 of association, one-to-one and many-to-one links (type 3).
-- Also the two helpers every linking stage uses: assoc_insert_links and assoc_store_flux.
--
-- Reads:  temprunningcatalog (active pairs of the image not handled by stage 3).
-- Writes: assocxtrsource (type 3), runningcatalog (position aggregates, datapoints,
--         forcedfits_count = 0), runningcatalog_flux (insert or update of the image's band).
-- Invariant: after this stage each of those runcats equals its temprunningcatalog row; a
--            many-to-one extraction is appended to every runcat it matched (runcats are never
--            merged; its flux then counts in several lightcurves, as in TraP).

CREATE OR REPLACE FUNCTION assoc_one_to_one(p_image integer,
                                            OUT one_to_one integer, OUT many_to_one integer)
LANGUAGE plpgsql VOLATILE
SET jit = off  -- compiling costs more than this statement runs: see 80_associate_image.sql
AS $$
BEGIN
    PERFORM assoc_stage_guard(p_image, 'assoc_one_to_one');   -- 05_stage_guards.sql
    -- the pairs still active and not forked in stage 3 (assoc_type keeps its default, 3)
    PERFORM assoc_insert_links(p_image, 3);

    UPDATE runningcatalog rc
    SET datapoints = t.datapoints, wm_ra = t.wm_ra, wm_decl = t.wm_decl,
        wm_uncertainty_ew = t.wm_uncertainty_ew, wm_uncertainty_ns = t.wm_uncertainty_ns,
        avg_ra_err = t.avg_ra_err, avg_decl_err = t.avg_decl_err,
        avg_wra = t.avg_wra, avg_wdecl = t.avg_wdecl,
        avg_weight_ra = t.avg_weight_ra, avg_weight_decl = t.avg_weight_decl,
        forcedfits_count = 0,
        -- re-anchor only a runcat that drifted beyond the margin (else: a HOT update)
        anchor_ra = CASE WHEN rc.anchor_ra IS NULL OR degrees(rc.anchor <-> spoint(radians(t.wm_ra), radians(t.wm_decl)))
                                                     > 0.5 * runcat_anchor_margin()
                         THEN t.wm_ra ELSE rc.anchor_ra END,
        anchor_decl = CASE WHEN rc.anchor_ra IS NULL OR degrees(rc.anchor <-> spoint(radians(t.wm_ra), radians(t.wm_decl)))
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
COMMENT ON FUNCTION assoc_one_to_one(integer) IS
    'Stage 4: type 3 links for the remaining active pairs; returns the number of one-to-one links '
    'and of extractions that matched several runcats (many-to-one).';

CREATE OR REPLACE FUNCTION assoc_store_flux(p_image integer, p_assoc_type integer)
RETURNS void
LANGUAGE sql VOLATILE
AS $$
-- Write the flux aggregates of the image's active pairs of one assoc type into runningcatalog_flux
-- (insert a band/Stokes seen for the first time, update otherwise).
    SELECT assoc_stage_guard(p_image, 'assoc_store_flux');   -- 05_stage_guards.sql
    INSERT INTO runningcatalog_flux AS f (runcat, band, stokes, f_datapoints,
        avg_f_peak, avg_f_peak_sq, avg_f_peak_weight, avg_weighted_f_peak, avg_weighted_f_peak_sq,
        avg_f_int, avg_f_int_sq, avg_f_int_weight, avg_weighted_f_int, avg_weighted_f_int_sq)
    SELECT runcat, band, stokes, f_datapoints,
           avg_f_peak, avg_f_peak_sq, avg_f_peak_weight, avg_weighted_f_peak, avg_weighted_f_peak_sq,
           avg_f_int, avg_f_int_sq, avg_f_int_weight, avg_weighted_f_int, avg_weighted_f_int_sq
    FROM temprunningcatalog
    WHERE image = p_image AND assoc_type = p_assoc_type AND NOT inactive
    ON CONFLICT (runcat, band, stokes) DO UPDATE
    SET f_datapoints = excluded.f_datapoints,
        avg_f_peak = excluded.avg_f_peak, avg_f_peak_sq = excluded.avg_f_peak_sq,
        avg_f_peak_weight = excluded.avg_f_peak_weight,
        avg_weighted_f_peak = excluded.avg_weighted_f_peak,
        avg_weighted_f_peak_sq = excluded.avg_weighted_f_peak_sq,
        avg_f_int = excluded.avg_f_int, avg_f_int_sq = excluded.avg_f_int_sq,
        avg_f_int_weight = excluded.avg_f_int_weight,
        avg_weighted_f_int = excluded.avg_weighted_f_int,
        avg_weighted_f_int_sq = excluded.avg_weighted_f_int_sq;
$$;
COMMENT ON FUNCTION assoc_store_flux(integer, integer) IS
    'Insert or update runningcatalog_flux from the image''s active pairs of one assoc type.';

CREATE OR REPLACE FUNCTION assoc_insert_links(p_image integer, p_assoc_type integer)
RETURNS void
LANGUAGE sql VOLATILE
AS $$
-- Links of the image's active pairs of one type, with the variability indices after the
-- measurement (r and distance_arcsec as stored in the pairs).
    SELECT assoc_stage_guard(p_image, 'assoc_insert_links');   -- 05_stage_guards.sql
    INSERT INTO assocxtrsource (runcat, xtrsrc, type, distance_arcsec, r,
                                v_int, eta_int, f_datapoints, v_peak, eta_peak)
    SELECT runcat, xtrsrc, p_assoc_type, distance_arcsec, r,
           v_index(f_datapoints, avg_f_int, avg_f_int_sq),
           eta_index(f_datapoints, avg_f_int_weight, avg_weighted_f_int, avg_weighted_f_int_sq),
           f_datapoints,
           v_index(f_datapoints, avg_f_peak, avg_f_peak_sq),
           eta_index(f_datapoints, avg_f_peak_weight, avg_weighted_f_peak, avg_weighted_f_peak_sq)
    FROM temprunningcatalog
    WHERE image = p_image AND assoc_type = p_assoc_type AND NOT inactive;
$$;
COMMENT ON FUNCTION assoc_insert_links(integer, integer) IS
    'Insert the links (assocxtrsource) of the image''s active pairs of one assoc type, with V and eta after the measurement.';
