-- 35_flux_division.sql: flux division, the share of a measurement's flux each lightcurve holds.
--
-- Reads:  temprunningcatalog (the image's active pairs), runningcatalog, runningcatalog_flux and
--         extractedsource (by key, one probe each per divided pair).
-- Writes: temprunningcatalog.flux_fraction, history_fraction, f_int and the flux and position
--         aggregates of the divided pairs; the linking stages then store them (links: flux_fraction and the
--         divided f_int; flux rows: running means and variability state of the divided fluxes).
-- Invariant: the shares of one measurement add up to 1 over the lightcurves holding it, so the
--            flux a dataset's lightcurves count is the flux its images measured (the
--            over-counting fraction of dataset_statistics is 0 when every share is divided);
--            a pair with both fractions 1 is left bit for bit as stage 1 computed it.
--
-- Two cases, as the association notes propose (equal split or flux-weighted split):
--   many-to-one (a blend): an extraction appended to k runcats gives each the share w_i of its
--     fluxes: 'equal' 1/k; 'flux' the runcats' mean f_int in the image's band and Stokes,
--     normalised (equal when one of them has none, or one not > 0).
--   one-to-many (a fork): the k children of a runcat each carry the share h_j of the parent's
--     history: 'equal' 1/k; 'flux' the children's new f_int, normalised (equal when one is not
--     > 0). The new measurement itself is each child's own (share 1).
-- Positions: a measurement shared among lightcurves counts in their fluxes by its share and in
-- none of their positions. A blend's position is the flux-weighted centroid of its components,
-- not the position of any of them: appended to each runcat it would pull them towards each
-- other, epoch after epoch, until the image that resolves them no longer matches them. So a
-- divided many-to-one pair leaves its runcat's position (and datapoints, the number of
-- positional measurements) as they were, and a fork child with a share of its parent's
-- history starts its position from its own measurement (datapoints 1), as a new source does.
-- The positions stay TraP's weighted means, of the measurements of the source alone.
--
-- A share w scales a measurement's f_peak, f_int and their errors alike (signal-to-noise, V and
-- eta unchanged): the running means of flux become w, w^2, w^-2, w^-1 and 1 times theirs for the
-- mean, mean square, mean weight, weighted mean and weighted mean square. A history share h
-- scales the parent's running means the same way, so a child's flux row is the parent's scaled
-- plus its new measurement: no link is read again.
--
-- Cost: nothing unless the image has such pairs; then one flux-row and one extraction probe per
-- divided pair.

CREATE OR REPLACE FUNCTION assoc_divide_flux(p_image integer, p_method text, p_assoc_type integer)
RETURNS integer
LANGUAGE plpgsql VOLATILE
SET jit = off  -- compiling costs more than this statement runs: see 80_associate_image.sql
AS $$
-- The shares of the image's active pairs of one type: 3, the runcats of one extraction (a
-- blend: flux_fraction, weighted by the runcats' mean f_int in the band); 2, the children of
-- one runcat (a fork: history_fraction, weighted by the children's new f_int). 'equal', or
-- when a weight is missing or not > 0: 1/k. Returns the number of pairs given a share.
DECLARE
    n integer;
BEGIN
    PERFORM assoc_stage_guard(p_image, 'assoc_divide_flux');   -- 07_stage_guards.sql
    IF p_method = 'none' THEN
        RETURN 0;
    END IF;
    WITH pair AS (
        SELECT ctid AS row_id, runcat, band, stokes, f_int, grp, count(*) OVER (PARTITION BY grp) AS k
        FROM (SELECT t.*, ctid, CASE WHEN p_assoc_type = 2 THEN t.runcat ELSE t.xtrsrc END AS grp
              FROM temprunningcatalog t
              WHERE t.image = p_image AND t.assoc_type = p_assoc_type AND NOT t.inactive) t
    ), weighted AS (
        -- a blend's weights by one flux-row probe per shared pair (none for the others)
        SELECT p.row_id, p.grp, p.k, CASE WHEN p_assoc_type = 2 THEN p.f_int ELSE f.avg_f_int END AS w
        FROM pair p
        LEFT JOIN LATERAL (SELECT f.avg_f_int FROM runningcatalog_flux f
                           WHERE p_assoc_type = 3 AND f.runcat = p.runcat AND f.band = p.band
                             AND f.stokes = p.stokes
                           OFFSET 0) f ON true
        WHERE p.k > 1
    ), shares AS (
        SELECT row_id,
               CASE WHEN p_method = 'flux' AND bool_and(coalesce(w > 0 AND w < 'Infinity', false)) OVER x
                    THEN w / sum(w) OVER x ELSE 1.0 / k END AS share
        FROM weighted
        WINDOW x AS (PARTITION BY grp)
    )
    UPDATE temprunningcatalog t
    SET flux_fraction = CASE WHEN p_assoc_type = 3 THEN s.share ELSE t.flux_fraction END,
        history_fraction = CASE WHEN p_assoc_type = 2 THEN s.share ELSE t.history_fraction END
    FROM shares s WHERE t.ctid = s.row_id;
    GET DIAGNOSTICS n = ROW_COUNT;
    IF n > 0 THEN
        PERFORM assoc_rescale_pairs(p_image);
    END IF;
    RETURN n;
END
$$;
COMMENT ON FUNCTION assoc_divide_flux(integer, text, integer) IS
    'Flux division of the image''s pairs of one type: many-to-one links (3: shares of the '
    'extraction among its runcats) or fork children (2: shares of the parent''s history); '
    'equal or flux-weighted; returns the number of pairs given a share.';

CREATE OR REPLACE FUNCTION assoc_rescale_pairs(p_image integer)
RETURNS void
LANGUAGE plpgsql VOLATILE
SET jit = off  -- compiling costs more than this statement runs: see 80_associate_image.sql
AS $$
-- The flux aggregates of the divided pairs, again from the flux row before the image (its
-- running means scaled by the history share h) and the measurement (scaled by its share m);
-- their position aggregates as the header says: the runcat's unchanged (m < 1) or the
-- measurement's own (h < 1).
BEGIN
    PERFORM assoc_stage_guard(p_image, 'assoc_rescale_pairs');   -- 07_stage_guards.sql
    UPDATE temprunningcatalog t
    SET datapoints = CASE WHEN d.flux_fraction < 1 THEN rc.datapoints ELSE 1 END,
        wm_ra = CASE WHEN d.flux_fraction < 1 THEN rc.wm_ra ELSE x.ra END,
        wm_decl = CASE WHEN d.flux_fraction < 1 THEN rc.wm_decl ELSE x.decl END,
        wm_uncertainty_ew = CASE WHEN d.flux_fraction < 1 THEN rc.wm_uncertainty_ew ELSE x.uncertainty_ew END,
        wm_uncertainty_ns = CASE WHEN d.flux_fraction < 1 THEN rc.wm_uncertainty_ns ELSE x.uncertainty_ns END,
        avg_ra_err = CASE WHEN d.flux_fraction < 1 THEN rc.avg_ra_err ELSE x.ra_err END,
        avg_decl_err = CASE WHEN d.flux_fraction < 1 THEN rc.avg_decl_err ELSE x.decl_err END,
        avg_wra = CASE WHEN d.flux_fraction < 1 THEN rc.avg_wra ELSE x.ra * x.uncertainty_ew ^ -2 END,
        avg_wdecl = CASE WHEN d.flux_fraction < 1 THEN rc.avg_wdecl ELSE x.decl * x.uncertainty_ns ^ -2 END,
        avg_weight_ra = CASE WHEN d.flux_fraction < 1 THEN rc.avg_weight_ra ELSE x.uncertainty_ew ^ -2 END,
        avg_weight_decl = CASE WHEN d.flux_fraction < 1 THEN rc.avg_weight_decl ELSE x.uncertainty_ns ^ -2 END,
        f_int = x.f_int * t.flux_fraction,
        avg_f_peak = running_mean(o.f_datapoints, h * o.avg_f_peak, m * x.f_peak),
        avg_f_peak_sq = running_mean(o.f_datapoints, h ^ 2 * o.avg_f_peak_sq, (m * x.f_peak) ^ 2),
        avg_f_peak_weight = running_mean(o.f_datapoints, h ^ -2 * o.avg_f_peak_weight, (m * x.f_peak_err) ^ -2),
        avg_weighted_f_peak = running_mean(o.f_datapoints, o.avg_weighted_f_peak / h,
                                           m * x.f_peak * (m * x.f_peak_err) ^ -2),
        avg_weighted_f_peak_sq = running_mean(o.f_datapoints, o.avg_weighted_f_peak_sq,
                                              (m * x.f_peak) ^ 2 * (m * x.f_peak_err) ^ -2),
        avg_f_int = running_mean(o.f_datapoints, h * o.avg_f_int, m * x.f_int),
        avg_f_int_sq = running_mean(o.f_datapoints, h ^ 2 * o.avg_f_int_sq, (m * x.f_int) ^ 2),
        avg_f_int_weight = running_mean(o.f_datapoints, h ^ -2 * o.avg_f_int_weight, (m * x.f_int_err) ^ -2),
        avg_weighted_f_int = running_mean(o.f_datapoints, o.avg_weighted_f_int / h,
                                          m * x.f_int * (m * x.f_int_err) ^ -2),
        avg_weighted_f_int_sq = running_mean(o.f_datapoints, o.avg_weighted_f_int_sq,
                                             (m * x.f_int) ^ 2 * (m * x.f_int_err) ^ -2)
    FROM temprunningcatalog d
    CROSS JOIN LATERAL (SELECT d.history_fraction AS h, d.flux_fraction AS m) s
    CROSS JOIN LATERAL (SELECT x.* FROM extractedsource x WHERE x.id = d.xtrsrc OFFSET 0) x
    CROSS JOIN LATERAL (SELECT rc.* FROM runningcatalog rc WHERE rc.id = d.runcat OFFSET 0) rc
    LEFT JOIN LATERAL (SELECT o.* FROM runningcatalog_flux o
                       WHERE o.runcat = d.runcat AND o.band = d.band AND o.stokes = d.stokes
                       OFFSET 0) o ON true
    WHERE d.image = p_image AND NOT d.inactive AND (d.flux_fraction <> 1 OR d.history_fraction <> 1)
      AND t.ctid = d.ctid;
END
$$;
COMMENT ON FUNCTION assoc_rescale_pairs(integer) IS
    'Recompute the flux aggregates of the image''s pairs with a flux or history share below 1.';
