-- 90_check_catalogue.sql: the consistency checker (tkpdb check, tkpdb.check_catalogue).
--
-- Reads:  every table of the catalogue, for one dataset or for all.
-- Writes: nothing (STABLE; the command line runs it in a read-only transaction).
-- Invariant: it reports and never changes. Each row is one property a DBA relies on, with the
--            number of offending rows (0 when it holds) and an example:
--   * every blind extraction of an associated image is in at least one lightcurve, and every
--     forced fit of an image whose fits of that kind were associated is in one;
--   * no two blind extractions of an image share a position (a batch loaded twice);
--   * runningcatalog.datapoints equals the number of its positional links (types 2, 3, 4, 6, 8, 9
--     with the whole measurement: a divided one counts in no position, 35_flux_division.sql);
--   * a blind runcat's weighted-mean position equals the weighted mean of its positional
--     measurements (within 1 mas plus 0.1 % of its uncertainty: the engine adds measurements
--     one at a time in the tangent plane of the current mean), its wm_uncertainty_ew/ns and
--     avg_weight_ra/decl equal 1/sqrt(sum w) and sum w / datapoints (relative 1e-9);
--   * runningcatalog_flux equals a recomputation from the links of its band and Stokes (each
--     measurement's fluxes and errors times the link's share):
--     f_datapoints exactly, the ten running means within 1e-9 of the mean magnitude, and the
--     variability state (92_varmetric.sql): the count of non-NULL f_int exactly, their sum,
--     largest value and median (the two middle keys) within 1e-9 of the mean magnitude;
--   * sky-region links are complete: a blind runcat is linked to every region of its dataset
--     that contains it and to none that does not, judged for runcats more than three beams
--     (3 x the largest rb_smaj of the dataset's images) from a region's edge, since a runcat may
--     move that far after it was linked;
--   * the engine-kept references of check_integrity() (global, whatever the dataset).
-- Costs: one pass over the dataset's links, extractions and runcats (hash joins and sorts), one
-- GiST probe of skyregion per runcat; a DBA check, never called by association.

CREATE OR REPLACE FUNCTION check_catalogue(p_dataset integer DEFAULT NULL)
RETURNS TABLE (check_name text, problems bigint, example text)
LANGUAGE sql STABLE
SET jit = off  -- a plan of many joins: compiling it cost more than running it (measured)
AS $$
    WITH rc AS MATERIALIZED (
        SELECT * FROM runningcatalog WHERE p_dataset IS NULL OR dataset = p_dataset
    ), img AS MATERIALIZED (
        SELECT * FROM image WHERE p_dataset IS NULL OR dataset = p_dataset
    ), links AS MATERIALIZED (
        -- fluxes as the lightcurve holds them: the link's share (35_flux_division.sql)
        SELECT a.runcat, a.xtrsrc, a.type, x.ra, x.decl, x.uncertainty_ew, x.uncertainty_ns,
               x.f_peak * a.flux_fraction AS f_peak, x.f_peak_err * a.flux_fraction AS f_peak_err,
               x.f_int * a.flux_fraction AS f_int, x.f_int_err * a.flux_fraction AS f_int_err,
               i.band, i.stokes, a.flux_fraction
        FROM rc
        JOIN assocxtrsource a ON a.runcat = rc.id
        JOIN extractedsource x ON x.id = a.xtrsrc
        JOIN image i ON i.id = x.image
    ), positions AS (
        SELECT rc.id, rc.datapoints, rc.mon_src, rc.wm_ra, rc.wm_decl, rc.wm_uncertainty_ew,
               rc.wm_uncertainty_ns, rc.avg_weight_ra, rc.avg_weight_decl,
               count(l.xtrsrc) AS n,
               sum(l.uncertainty_ew ^ -2) AS w_ew, sum(l.uncertainty_ns ^ -2) AS w_ns,
               sum(o.xi * l.uncertainty_ew ^ -2) AS wxi, sum(o.eta * l.uncertainty_ns ^ -2) AS weta
        FROM rc
        LEFT JOIN links l ON l.runcat = rc.id AND l.type IN (2, 3, 4, 6, 8, 9) AND l.flux_fraction = 1
        LEFT JOIN LATERAL sky_offsets(rc.wm_ra, rc.wm_decl, l.ra, l.decl) o ON true
        GROUP BY rc.id, rc.datapoints, rc.mon_src, rc.wm_ra, rc.wm_decl, rc.wm_uncertainty_ew,
                 rc.wm_uncertainty_ns, rc.avg_weight_ra, rc.avg_weight_decl
    ), fluxes AS (
        SELECT l.runcat, l.band, l.stokes, count(*) AS n,
               avg(l.f_peak) AS f_peak, avg(l.f_peak ^ 2) AS f_peak_sq,
               avg(l.f_peak_err ^ -2) AS f_peak_w, avg(l.f_peak * l.f_peak_err ^ -2) AS wf_peak,
               avg(l.f_peak ^ 2 * l.f_peak_err ^ -2) AS wf_peak_sq,
               avg(abs(l.f_peak)) AS f_peak_abs, avg(abs(l.f_peak) * l.f_peak_err ^ -2) AS wf_peak_abs,
               avg(l.f_int) AS f_int, avg(l.f_int ^ 2) AS f_int_sq,
               avg(l.f_int_err ^ -2) AS f_int_w, avg(l.f_int * l.f_int_err ^ -2) AS wf_int,
               avg(l.f_int ^ 2 * l.f_int_err ^ -2) AS wf_int_sq,
               avg(abs(l.f_int)) AS f_int_abs, avg(abs(l.f_int) * l.f_int_err ^ -2) AS wf_int_abs,
               count(l.f_int) AS f_int_count, sum(l.f_int) AS f_int_sum, max(l.f_int) AS f_int_max,
               percentile_cont(0.5) WITHIN GROUP (ORDER BY l.f_int) AS f_int_median
        FROM links l
        GROUP BY l.runcat, l.band, l.stokes
    ), flux_problems AS (
        SELECT coalesce(f.runcat, r.runcat) AS runcat
        FROM (SELECT s.* FROM runningcatalog_flux s JOIN rc ON rc.id = s.runcat) f
        FULL JOIN fluxes r ON r.runcat = f.runcat AND r.band = f.band AND r.stokes = f.stokes
        WHERE f.runcat IS NULL OR r.runcat IS NULL OR f.f_datapoints <> r.n
           OR NOT (abs(f.avg_f_peak - r.f_peak) <= 1e-9 * r.f_peak_abs + 1e-300
                   AND abs(f.avg_f_peak_sq - r.f_peak_sq) <= 1e-9 * r.f_peak_sq + 1e-300
                   AND abs(f.avg_f_peak_weight - r.f_peak_w) <= 1e-9 * r.f_peak_w
                   AND abs(f.avg_weighted_f_peak - r.wf_peak) <= 1e-9 * r.wf_peak_abs + 1e-300
                   AND abs(f.avg_weighted_f_peak_sq - r.wf_peak_sq) <= 1e-9 * r.wf_peak_sq + 1e-300
                   AND abs(f.avg_f_int - r.f_int) <= 1e-9 * r.f_int_abs + 1e-300
                   AND abs(f.avg_f_int_sq - r.f_int_sq) <= 1e-9 * r.f_int_sq + 1e-300
                   AND abs(f.avg_f_int_weight - r.f_int_w) <= 1e-9 * r.f_int_w
                   AND abs(f.avg_weighted_f_int - r.wf_int) <= 1e-9 * r.wf_int_abs + 1e-300
                   AND abs(f.avg_weighted_f_int_sq - r.wf_int_sq) <= 1e-9 * r.wf_int_sq + 1e-300)
           OR f.f_int_count <> r.f_int_count
           OR (r.f_int_count > 0
               AND NOT (abs(f.f_int_sum - r.f_int_sum) <= 1e-9 * r.f_int_abs * r.f_int_count + 1e-300
                        AND abs(f.f_int_max - r.f_int_max) <= 1e-9 * r.f_int_abs + 1e-300
                        AND abs((f.median_lo_f_int + f.median_hi_f_int) / 2.0 - r.f_int_median)
                            <= 1e-9 * r.f_int_abs + 1e-300))
    ), edge AS (
        SELECT 3.0 * coalesce(max(rb_smaj), 0.0) AS tolerance FROM img
    ), region_missing AS (
        SELECT rc.id AS runcat, s.id AS skyrgn
        FROM rc
        CROSS JOIN edge
        CROSS JOIN LATERAL skyregions_containing(rc.dataset, rc.pos) s
        JOIN skyregion r ON r.id = s.id
        WHERE NOT rc.mon_src
          AND degrees(rc.pos <-> r.centre) < r.xtr_radius - edge.tolerance
          AND NOT EXISTS (SELECT FROM assocskyrgn a WHERE a.runcat = rc.id AND a.skyrgn = s.id)
    ), region_spurious AS (
        SELECT rc.id AS runcat, a.skyrgn
        FROM rc
        CROSS JOIN edge
        JOIN assocskyrgn a ON a.runcat = rc.id
        JOIN skyregion r ON r.id = a.skyrgn
        WHERE rc.mon_src OR r.dataset <> rc.dataset
           OR degrees(rc.pos <-> r.centre) > r.xtr_radius + edge.tolerance
    ), unlinked AS (
        SELECT x.id, x.image, x.extract_type
        FROM img
        JOIN extractedsource x ON x.image = img.id
        WHERE NOT EXISTS (SELECT FROM assocxtrsource a WHERE a.xtrsrc = x.id)
          AND CASE WHEN x.extract_type = 0
                   THEN EXISTS (SELECT FROM association_log l WHERE l.image = img.id)
                   ELSE EXISTS (SELECT FROM extractedsource y JOIN assocxtrsource a ON a.xtrsrc = y.id
                                WHERE y.image = img.id AND y.extract_type = x.extract_type) END
    ), duplicates AS (
        SELECT x.image, x.ra, x.decl, count(*) AS copies, min(x.id) AS first_id
        FROM img JOIN extractedsource x ON x.image = img.id AND x.extract_type = 0
        GROUP BY x.image, x.ra, x.decl
        HAVING count(*) > 1
    )
    SELECT 'blind extraction of an associated image, or forced fit of an associated kind, in no lightcurve',
           count(*), (array_agg(format('extraction %s of image %s', id, image) ORDER BY id))[1]
    FROM unlinked
    UNION ALL
    SELECT 'blind extractions of one image at the same position', coalesce(sum(copies - 1), 0),
           (array_agg(format('extraction %s of image %s', first_id, image) ORDER BY first_id))[1]
    FROM duplicates
    UNION ALL
    SELECT 'runcat datapoints differ from its positional links', count(*), 'runcat ' || min(id)
    FROM positions WHERE datapoints <> n
    UNION ALL
    SELECT 'runcat position or weights differ from a recomputation from its measurements', count(*),
           'runcat ' || min(id)
    FROM positions
    WHERE NOT mon_src AND n > 0
      AND NOT (offset_distance_arcsec(wxi / w_ew, weta / w_ns)
                   <= 1e-3 + 1e-3 * 3600.0 * greatest(wm_uncertainty_ew, wm_uncertainty_ns)
               AND abs(wm_uncertainty_ew * sqrt(w_ew) - 1.0) <= 1e-9
               AND abs(wm_uncertainty_ns * sqrt(w_ns) - 1.0) <= 1e-9
               AND abs(avg_weight_ra * n / w_ew - 1.0) <= 1e-9
               AND abs(avg_weight_decl * n / w_ns - 1.0) <= 1e-9)

    UNION ALL
    SELECT 'runcat flux statistics differ from a recomputation from its measurements', count(*),
           'runcat ' || min(runcat)
    FROM flux_problems
    UNION ALL
    SELECT 'blind runcat not linked to a sky region that contains it', count(*),
           (array_agg(format('runcat %s, sky region %s', runcat, skyrgn) ORDER BY runcat, skyrgn))[1]
    FROM region_missing
    UNION ALL
    SELECT 'runcat linked to a sky region that does not contain it', count(*),
           (array_agg(format('runcat %s, sky region %s', runcat, skyrgn) ORDER BY runcat, skyrgn))[1]
    FROM region_spurious
    UNION ALL
    SELECT 'dangling ' || reference, dangling, NULL FROM check_integrity()
    WHERE reference NOT LIKE 'extractedsource (blind%'
$$;
COMMENT ON FUNCTION check_catalogue(integer) IS
    'What a DBA relies on, for one dataset (NULL: all): one row per property with the number of '
    'offending rows (0: it holds) and an example. Reports, never changes; reads the whole dataset.';
