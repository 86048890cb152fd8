-- 10_candidates.sql: stage 1 of association, candidate pairs into temprunningcatalog.
--
-- Reads:  image, extractedsource (blind rows of the image), runningcatalog (blind runcats of the
--         dataset near each extraction, through the zones index: runcat_zone_search(),
--         05_zones.sql), runningcatalog_flux (the image's band and Stokes, by key).
-- Writes: temprunningcatalog (the session's scratch table, 04_scratch.sql), one row per
--         (runcat, extraction) pair with separation <= L = beamwidths_limit * rb_smaj and
--         De Ruiter radius < deruiter_radius.
-- Invariant: each row carries the runcat aggregates as they would be after adding the pair;
--            r and distance_arcsec are measured against the runcat *before* the update.
--
-- Geometry: offsets (xi, eta) of the extraction in the tangent plane of the runcat position.
-- The De Ruiter radius uses them with the on-sky uncertainties; the weighted mean moves the
-- runcat along xi by w_ra / sum(w_ra) and along eta by w_decl / sum(w_decl), then projects back.
-- Close to the runcat this is TraP's weighted mean of RA and Dec, but it has no RA wrap
-- (RA 359.9999 and 0.0001 average to ~0, never 180) and no pole singularity.
--
-- Explicit pairs: called with p_runcats and p_xtrsrcs (same length), the stage adds exactly
-- those pairs, whatever their separation and De Ruiter radius, with the same aggregates. The
-- resolved mode uses it for the extractions of a runcat the image resolves into several
-- sources (25_resolved.sql), which lie beyond the De Ruiter radius of the blend's position.
--
-- Cost: one zones search per extraction (one or two B-tree range scans), the exact cone test
-- on the weighted-mean position, one flux-row probe per pair; the shifted position of each
-- pair is computed once (sky_shift in its own sub-select: written into two columns, it was
-- computed twice, 171 -> 119 ms for the arithmetic of a 10,000-source image, same rows).

CREATE OR REPLACE FUNCTION assoc_candidates(p_image integer, p_deruiter_radius double precision,
                                            p_beamwidths_limit double precision,
                                            p_runcats integer[] DEFAULT NULL,
                                            p_xtrsrcs bigint[] DEFAULT NULL)
RETURNS integer
LANGUAGE plpgsql VOLATILE
SET jit = off  -- compiling costs more than this statement runs: see 80_associate_image.sql
AS $$
DECLARE
    n integer;
BEGIN
    PERFORM assoc_scratch();
    IF p_runcats IS NULL THEN
        PERFORM assoc_begin(p_image, p_deruiter_radius, p_beamwidths_limit);   -- 07_stage_guards.sql
    ELSE
        PERFORM assoc_stage_guard(p_image, 'assoc_candidates');
    END IF;
    INSERT INTO temprunningcatalog (
        image, runcat, xtrsrc, dataset, band, stokes, distance_arcsec, r, f_int,
        datapoints, wm_ra, wm_decl, wm_uncertainty_ew, wm_uncertainty_ns,
        avg_ra_err, avg_decl_err, avg_wra, avg_wdecl, avg_weight_ra, avg_weight_decl,
        f_datapoints,
        avg_f_peak, avg_f_peak_sq, avg_f_peak_weight, avg_weighted_f_peak, avg_weighted_f_peak_sq,
        avg_f_int, avg_f_int_sq, avg_f_int_weight, avg_weighted_f_int, avg_weighted_f_int_sq)
    -- the matching pairs, with their offsets computed once per pair (MATERIALIZED keeps the
    -- planner from substituting the offset expressions into every use in the outer query,
    -- which would evaluate the trigonometry many times per pair)
    WITH p AS MATERIALIZED (
        SELECT i.id AS image, rc.id AS runcat, x.id AS xtrsrc, rc.dataset, i.band, i.stokes,
               3600.0 * degrees(rc.pos <-> spoint(radians(x.ra), radians(x.decl))) AS distance_arcsec,
               dr.r, rc.datapoints, rc.wm_ra, rc.wm_decl, rc.avg_ra_err, rc.avg_decl_err,
               x.ra_err, x.decl_err, x.f_peak, x.f_peak_err, x.f_int, x.f_int_err,
               o.xi * x.uncertainty_ew ^ -2 AS wxi, o.eta * x.uncertainty_ns ^ -2 AS weta,
               rc.datapoints * rc.avg_weight_ra + x.uncertainty_ew ^ -2 AS sum_w_ra,
               rc.datapoints * rc.avg_weight_decl + x.uncertainty_ns ^ -2 AS sum_w_decl
        FROM image i
        JOIN extractedsource x ON x.image = i.id AND x.extract_type = 0
        CROSS JOIN LATERAL (
            -- the runcats near the extraction, or the explicit pairs (the unused branch is a
            -- one-time filter of the plan made for this call)
            SELECT z.* FROM runcat_zone_search(i.dataset, x.ra, x.decl,
                                               p_beamwidths_limit * i.rb_smaj + runcat_anchor_margin()) z
            WHERE p_runcats IS NULL
            UNION ALL
            SELECT e.* FROM unnest(p_runcats, p_xtrsrcs) u(runcat, xtrsrc)
            CROSS JOIN LATERAL (SELECT e.* FROM runningcatalog e WHERE e.id = u.runcat OFFSET 0) e
            WHERE p_runcats IS NOT NULL AND u.xtrsrc = x.id
        ) rc
        CROSS JOIN LATERAL sky_offsets(rc.wm_ra, rc.wm_decl, x.ra, x.decl) o
        CROSS JOIN LATERAL (SELECT deruiter(o.xi, o.eta, rc.wm_uncertainty_ew, rc.wm_uncertainty_ns,
                                            x.uncertainty_ew, x.uncertainty_ns) AS r) dr
        WHERE i.id = p_image
          AND (p_xtrsrcs IS NULL OR x.id = ANY (p_xtrsrcs))
          AND (p_runcats IS NOT NULL
               OR (rc.pos <@ scircle(spoint(radians(x.ra), radians(x.decl)),
                                     radians(p_beamwidths_limit * i.rb_smaj))
                   AND dr.r < p_deruiter_radius))
    )
    SELECT p.image, p.runcat, p.xtrsrc, p.dataset, p.band, p.stokes,
           p.distance_arcsec, p.r, p.f_int,
           p.datapoints + 1, s.ra, s.decl,
           1.0 / sqrt(p.sum_w_ra), 1.0 / sqrt(p.sum_w_decl),
           running_mean(p.datapoints, p.avg_ra_err, p.ra_err),
           running_mean(p.datapoints, p.avg_decl_err, p.decl_err),
           p.sum_w_ra / (p.datapoints + 1) * s.ra,
           p.sum_w_decl / (p.datapoints + 1) * s.decl,
           p.sum_w_ra / (p.datapoints + 1),
           p.sum_w_decl / (p.datapoints + 1),
           coalesce(f.f_datapoints, 0) + 1,
           running_mean(f.f_datapoints, f.avg_f_peak, p.f_peak),
           running_mean(f.f_datapoints, f.avg_f_peak_sq, p.f_peak ^ 2),
           running_mean(f.f_datapoints, f.avg_f_peak_weight, p.f_peak_err ^ -2),
           running_mean(f.f_datapoints, f.avg_weighted_f_peak, p.f_peak * p.f_peak_err ^ -2),
           running_mean(f.f_datapoints, f.avg_weighted_f_peak_sq, p.f_peak ^ 2 * p.f_peak_err ^ -2),
           running_mean(f.f_datapoints, f.avg_f_int, p.f_int),
           running_mean(f.f_datapoints, f.avg_f_int_sq, p.f_int ^ 2),
           running_mean(f.f_datapoints, f.avg_f_int_weight, p.f_int_err ^ -2),
           running_mean(f.f_datapoints, f.avg_weighted_f_int, p.f_int * p.f_int_err ^ -2),
           running_mean(f.f_datapoints, f.avg_weighted_f_int_sq, p.f_int ^ 2 * p.f_int_err ^ -2)
    FROM p
    CROSS JOIN LATERAL (SELECT * FROM sky_shift(p.wm_ra, p.wm_decl, p.wxi / p.sum_w_ra,
                                                p.weta / p.sum_w_decl) OFFSET 0) s
    -- one index probe per pair (OFFSET 0: never a hash join over the whole flux table)
    LEFT JOIN LATERAL (SELECT f.* FROM runningcatalog_flux f
                       WHERE f.runcat = p.runcat AND f.band = p.band AND f.stokes = p.stokes
                       OFFSET 0) f ON true;
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN n;
END
$$;
COMMENT ON FUNCTION assoc_candidates(integer, double precision, double precision, integer[], bigint[]) IS
    'Stage 1: candidate (runcat, extraction) pairs of an image into temprunningcatalog (or the '
    'explicit pairs given); returns their number.';
