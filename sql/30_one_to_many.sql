-- 30_one_to_many.sql: stage 3 of association, fork runcats that match several extractions.
--
-- Reads:  temprunningcatalog (active pairs of the image), runningcatalog_flux, assocxtrsource,
--         assocskyrgn, newsource, varmetric of the forked runcats.
-- Writes: one new runcat per active pair of a runcat with several active pairs
--         (temprunningcatalog.new_runcat, assoc_type = 2); its flux rows (every band and Stokes
--         of the old runcat, the image's band updated); its lightcurve (type 6 copies of the old
--         runcat's links, then the type 2 base point); copies of assocskyrgn, newsource and
--         varmetric; finally deletes the old runcat and its dependants, varmetric_band included
--         (extractedsource.ff_runcat and monitor.runcat pointing at it become NULL).
-- Invariant: a fork loses no history: every new runcat carries the old runcat's full lightcurve
--            and the flux statistics of every band, plus the one new measurement.

CREATE OR REPLACE FUNCTION assoc_one_to_many(p_image integer)
RETURNS integer
LANGUAGE plpgsql VOLATILE
SET jit = off  -- compiling costs more than this statement runs: see 80_associate_image.sql
AS $$
DECLARE
    n_forked integer;
BEGIN
    PERFORM assoc_stage_guard(p_image, 'assoc_one_to_many');   -- 05_stage_guards.sql
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

    INSERT INTO runningcatalog (id, xtrsrc, dataset, datapoints, wm_ra, wm_decl,
                                wm_uncertainty_ew, wm_uncertainty_ns, avg_ra_err, avg_decl_err,
                                avg_wra, avg_wdecl, avg_weight_ra, avg_weight_decl,
                                anchor_ra, anchor_decl)
    SELECT new_runcat, xtrsrc, dataset, datapoints, wm_ra, wm_decl,
           wm_uncertainty_ew, wm_uncertainty_ns, avg_ra_err, avg_decl_err,
           avg_wra, avg_wdecl, avg_weight_ra, avg_weight_decl, wm_ra, wm_decl
    FROM temprunningcatalog
    WHERE image = p_image AND assoc_type = 2;

    -- flux statistics: other bands and Stokes copied, the image's band from the pair
    INSERT INTO runningcatalog_flux (runcat, band, stokes, f_datapoints,
        avg_f_peak, avg_f_peak_sq, avg_f_peak_weight, avg_weighted_f_peak, avg_weighted_f_peak_sq,
        avg_f_int, avg_f_int_sq, avg_f_int_weight, avg_weighted_f_int, avg_weighted_f_int_sq)
    SELECT t.new_runcat, f.band, f.stokes, f.f_datapoints,
           f.avg_f_peak, f.avg_f_peak_sq, f.avg_f_peak_weight, f.avg_weighted_f_peak, f.avg_weighted_f_peak_sq,
           f.avg_f_int, f.avg_f_int_sq, f.avg_f_int_weight, f.avg_weighted_f_int, f.avg_weighted_f_int_sq
    FROM temprunningcatalog t
    JOIN runningcatalog_flux f ON f.runcat = t.runcat AND (f.band, f.stokes) <> (t.band, t.stokes)
    WHERE t.image = p_image AND t.assoc_type = 2
    UNION ALL
    SELECT t.new_runcat, t.band, t.stokes, t.f_datapoints,
           t.avg_f_peak, t.avg_f_peak_sq, t.avg_f_peak_weight, t.avg_weighted_f_peak, t.avg_weighted_f_peak_sq,
           t.avg_f_int, t.avg_f_int_sq, t.avg_f_int_weight, t.avg_weighted_f_int, t.avg_weighted_f_int_sq
    FROM temprunningcatalog t
    WHERE t.image = p_image AND t.assoc_type = 2;

    -- lightcurve: the old history (type 6, values unchanged) and the base point (type 2)
    INSERT INTO assocxtrsource (runcat, xtrsrc, type, distance_arcsec, r, loglr,
                                v_int, eta_int, f_datapoints, v_peak, eta_peak)
    SELECT t.new_runcat, a.xtrsrc, 6, a.distance_arcsec, a.r, a.loglr,
           a.v_int, a.eta_int, a.f_datapoints, a.v_peak, a.eta_peak
    FROM temprunningcatalog t
    JOIN assocxtrsource a ON a.runcat = t.runcat
    WHERE t.image = p_image AND t.assoc_type = 2
    UNION ALL
    SELECT t.new_runcat, t.xtrsrc, 2, t.distance_arcsec, t.r, NULL,
           v_index(t.f_datapoints, t.avg_f_int, t.avg_f_int_sq),
           eta_index(t.f_datapoints, t.avg_f_int_weight, t.avg_weighted_f_int, t.avg_weighted_f_int_sq),
           t.f_datapoints,
           v_index(t.f_datapoints, t.avg_f_peak, t.avg_f_peak_sq),
           eta_index(t.f_datapoints, t.avg_f_peak_weight, t.avg_weighted_f_peak, t.avg_weighted_f_peak_sq)
    FROM temprunningcatalog t
    WHERE t.image = p_image AND t.assoc_type = 2;

    INSERT INTO assocskyrgn (runcat, skyrgn, distance_deg)
    SELECT t.new_runcat, s.skyrgn, s.distance_deg
    FROM temprunningcatalog t
    JOIN assocskyrgn s ON s.runcat = t.runcat
    WHERE t.image = p_image AND t.assoc_type = 2;

    INSERT INTO newsource (runcat, trigger_xtrsrc, previous_limits_image, newsource_type)
    SELECT t.new_runcat, ns.trigger_xtrsrc, ns.previous_limits_image, ns.newsource_type
    FROM temprunningcatalog t
    JOIN newsource ns ON ns.runcat = t.runcat
    WHERE t.image = p_image AND t.assoc_type = 2;

    INSERT INTO varmetric (runcat, v_int, eta_int, band, newsource, sigma_rms_max, sigma_rms_min,
                           lightcurve_max, lightcurve_avg, lightcurve_median)
    SELECT t.new_runcat, vm.v_int, vm.eta_int, vm.band, ns.id, vm.sigma_rms_max, vm.sigma_rms_min,
           vm.lightcurve_max, vm.lightcurve_avg, vm.lightcurve_median
    FROM temprunningcatalog t
    JOIN varmetric vm ON vm.runcat = t.runcat
    LEFT JOIN newsource ns ON ns.runcat = t.new_runcat
    WHERE t.image = p_image AND t.assoc_type = 2;

    -- the old runcats and their dependants (newsource cascades; ff_runcat and monitor.runcat
    -- become NULL through their foreign keys)
    DELETE FROM assocxtrsource a USING temprunningcatalog t
    WHERE t.image = p_image AND t.assoc_type = 2 AND a.runcat = t.runcat;
    DELETE FROM runningcatalog_flux f USING temprunningcatalog t
    WHERE t.image = p_image AND t.assoc_type = 2 AND f.runcat = t.runcat;
    DELETE FROM assocskyrgn s USING temprunningcatalog t
    WHERE t.image = p_image AND t.assoc_type = 2 AND s.runcat = t.runcat;
    DELETE FROM varmetric vm USING temprunningcatalog t
    WHERE t.image = p_image AND t.assoc_type = 2 AND vm.runcat = t.runcat;
    DELETE FROM varmetric_band b USING temprunningcatalog t
    WHERE t.image = p_image AND t.assoc_type = 2 AND b.runcat = t.runcat;
    DELETE FROM runningcatalog rc USING temprunningcatalog t
    WHERE t.image = p_image AND t.assoc_type = 2 AND rc.id = t.runcat;

    RETURN n_forked;
END
$$;
COMMENT ON FUNCTION assoc_one_to_many(integer) IS
    'Stage 3: fork every runcat with several active candidate pairs into one runcat per pair; returns the number of runcats forked.';
