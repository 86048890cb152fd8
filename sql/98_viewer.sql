-- 98_viewer.sql: the read side of the web viewer (tkpdb/viewer) and of its cone search.
--
-- Reads:  runningcatalog, runningcatalog_flux, varmetric, newsource, assocskyrgn, skyregion,
--         monitor, frequencyband, image, rejection, extractedsource, assocxtrsource
--         (always by an index: a dataset's lightcurves through its sky regions, one
--         lightcurve's or one image's rows by key); pg_roles, pg_class, pg_proc (privileges).
-- Writes: nothing. Every function here is STABLE or IMMUTABLE: a role that may only read
--         can run them all.
-- Invariant: no function reads a whole large table. A dataset's lightcurves are the runcats
--            of its sky regions (assocskyrgn, which holds every blind runcat of every region
--            containing it, 02_images.sql) and of its monitoring list; a cone is a range probe
--            of the zones index (runcat_zone_search); everything else is a per-row probe by key.
--
-- Objects:
--   viewer_dataset_runcats(dataset)         the runcat ids of a dataset
--   viewer_lightcurves(dataset, filters...) one row per lightcurve: position, V, eta, flux, newsource
--   viewer_candidates(dataset, filters..., sort, page, plot limits)  a candidates page in one pass
--   viewer_sky(dataset, point_limit, bins)   a dataset's lightcurves on the sky
--   viewer_bins2d(xs, ys, n)                 2-D histogram of two arrays (server-side plots)
--   viewer_upper_limits(runcat)              images covering a lightcurve without a measurement of it
--   viewer_image_outcome(image)              what the association of an image did (link counts)
--   viewer_image_detections(image, limit, offset)  an image's measurements, brightest first
--   viewer_cone(dataset, ra, decl, radius, limit)  runcats in a cone (blind and monitored)
--   viewer_scs(dataset, ra, decl, radius, limit)   the cone search's rows (one per band)

CREATE OR REPLACE FUNCTION viewer_dataset_runcats(p_dataset integer)
RETURNS TABLE (runcat integer)
LANGUAGE sql STABLE
AS $$
    -- Blind runcats: every one has an assocskyrgn row for its image's region (50_new_sources,
    -- 30_one_to_many); monitored runcats are reached through the monitoring list.
    SELECT s.runcat
    FROM skyregion r JOIN assocskyrgn s ON s.skyrgn = r.id
    WHERE r.dataset = p_dataset
    UNION
    SELECT m.runcat FROM monitor m WHERE m.dataset = p_dataset AND m.runcat IS NOT NULL
$$;
COMMENT ON FUNCTION viewer_dataset_runcats(integer) IS
    'Ids of the lightcurves (runcats) of a dataset, through its sky regions and monitoring list.';

CREATE OR REPLACE FUNCTION viewer_lightcurves(
    p_dataset integer,
    p_band integer DEFAULT NULL,
    p_stokes smallint DEFAULT 1,
    p_min_datapoints integer DEFAULT NULL,
    p_eta_min double precision DEFAULT NULL, p_eta_max double precision DEFAULT NULL,
    p_v_min double precision DEFAULT NULL, p_v_max double precision DEFAULT NULL,
    p_newsource text DEFAULT NULL,
    p_flux_min double precision DEFAULT NULL, p_flux_max double precision DEFAULT NULL,
    p_ra double precision DEFAULT NULL, p_decl double precision DEFAULT NULL,
    p_radius double precision DEFAULT NULL)
RETURNS TABLE (runcat integer, wm_ra double precision, wm_decl double precision,
               wm_uncertainty_ew double precision, wm_uncertainty_ns double precision,
               datapoints integer, mon_src boolean, band integer, freq_central double precision,
               stokes smallint, f_datapoints integer, avg_f_int double precision,
               v_int double precision, eta_int double precision,
               lightcurve_max double precision, lightcurve_median double precision,
               newsource integer, newsource_type smallint, sigma_rms_max double precision)
LANGUAGE sql STABLE
AS $$
    -- Without p_band: V, eta, max and median of varmetric (the band of the lightcurve's latest
    -- measurement) and that band's mean f_int. With p_band: that band's V, eta (from its
    -- running means, as association computes them) and mean f_int; lightcurves without a
    -- measurement in the band are left out (lightcurve_max / median are NULL then: varmetric
    -- keeps them for one band only). p_min_datapoints applies to f_datapoints (the flux
    -- measurements behind V and eta); flux limits to avg_f_int (Jy); the cone (deg) to the
    -- weighted-mean position. p_newsource: NULL any lightcurve, 'any' transient candidates,
    -- '0' / '1' candidates of that newsource_type. Every NULL filter is no filter.
    WITH ids AS (
        SELECT d.runcat FROM viewer_dataset_runcats(p_dataset) d WHERE p_radius IS NULL
        UNION ALL
        SELECT c.runcat FROM viewer_cone(p_dataset, p_ra, p_decl, p_radius, NULL) c
        WHERE p_radius IS NOT NULL
    ), candidates AS (
        -- asked for transient candidates: one newsource probe per lightcurve, before the others
        SELECT ids.runcat FROM ids
        WHERE p_newsource IS NULL
           OR EXISTS (SELECT FROM newsource n WHERE n.runcat = ids.runcat)
    )
    SELECT rc.id, rc.wm_ra, rc.wm_decl, rc.wm_uncertainty_ew, rc.wm_uncertainty_ns,
           rc.datapoints, rc.mon_src, f.band, fb.freq_central, f.stokes, f.f_datapoints,
           f.avg_f_int, m.v_int, m.eta_int,
           CASE WHEN p_band IS NULL THEN vm.lightcurve_max END,
           CASE WHEN p_band IS NULL THEN vm.lightcurve_median END,
           ns.id, ns.newsource_type, vm.sigma_rms_max
    FROM candidates ids
    -- every lookup a probe by key (OFFSET 0 keeps it one whatever the estimates say)
    CROSS JOIN LATERAL (SELECT * FROM runningcatalog r WHERE r.id = ids.runcat OFFSET 0) rc
    LEFT JOIN LATERAL (SELECT * FROM varmetric v WHERE v.runcat = rc.id OFFSET 0) vm ON true
    CROSS JOIN LATERAL (SELECT * FROM runningcatalog_flux x
                        WHERE x.runcat = rc.id AND x.band = coalesce(p_band, vm.band)
                          AND x.stokes = p_stokes OFFSET 0) f
    CROSS JOIN LATERAL (SELECT CASE WHEN p_band IS NULL THEN vm.v_int
                                    ELSE v_index(f.f_datapoints, f.avg_f_int, f.avg_f_int_sq) END
                               AS v_int,
                               CASE WHEN p_band IS NULL THEN vm.eta_int
                                    ELSE eta_index(f.f_datapoints, f.avg_f_int_weight,
                                                   f.avg_weighted_f_int, f.avg_weighted_f_int_sq) END
                               AS eta_int) m
    LEFT JOIN frequencyband fb ON fb.id = f.band
    LEFT JOIN LATERAL (SELECT n.id, n.newsource_type FROM newsource n
                       WHERE n.runcat = rc.id OFFSET 0) ns ON true
    WHERE (p_min_datapoints IS NULL OR f.f_datapoints >= p_min_datapoints)
      AND (p_eta_min IS NULL OR m.eta_int >= p_eta_min)
      AND (p_eta_max IS NULL OR m.eta_int <= p_eta_max)
      AND (p_v_min IS NULL OR m.v_int >= p_v_min)
      AND (p_v_max IS NULL OR m.v_int <= p_v_max)
      AND (p_flux_min IS NULL OR f.avg_f_int >= p_flux_min)
      AND (p_flux_max IS NULL OR f.avg_f_int <= p_flux_max)
      AND (p_newsource IS NULL
           OR (p_newsource = 'any' AND ns.id IS NOT NULL)
           OR ns.newsource_type::text = p_newsource)
$$;
COMMENT ON FUNCTION viewer_lightcurves(integer, integer, smallint, integer, double precision,
    double precision, double precision, double precision, text, double precision,
    double precision, double precision, double precision, double precision) IS
    'Lightcurves of a dataset with their position (deg), V, eta, mean f_int (Jy) and newsource, '
    'filtered (band, Stokes, minimum flux datapoints, eta and V ranges, newsource type, mean-flux '
    'range in Jy, cone in deg); a NULL filter is no filter. Without a band: varmetric''s band.';

CREATE OR REPLACE FUNCTION viewer_candidates(
    p_dataset integer, p_band integer, p_stokes smallint, p_min_datapoints integer,
    p_eta_min double precision, p_eta_max double precision,
    p_v_min double precision, p_v_max double precision, p_newsource text,
    p_flux_min double precision, p_flux_max double precision,
    p_ra double precision, p_decl double precision, p_radius double precision,
    p_sort text, p_descending boolean, p_limit integer, p_offset integer,
    p_point_limit integer, p_bins integer)
RETURNS TABLE (total bigint, rows json, plotted bigint, points json, bins json)
LANGUAGE sql STABLE
AS $$
    -- One read of the filtered lightcurves (viewer_lightcurves, same filters) for everything a
    -- candidates page shows: their number; the page (sorted by p_sort, a numeric column of
    -- viewer_lightcurves, NULLs last, then runcat); and the eta-V plane of those with eta > 0
    -- and V > 0: each (runcat, eta_int, v_int) up to p_point_limit of them, else a
    -- p_bins x p_bins histogram of (log10 eta, log10 V) (viewer_bins2d).
    WITH f AS MATERIALIZED (
        SELECT * FROM viewer_lightcurves(p_dataset, p_band, p_stokes, p_min_datapoints,
                                         p_eta_min, p_eta_max, p_v_min, p_v_max, p_newsource,
                                         p_flux_min, p_flux_max, p_ra, p_decl, p_radius)
    ), keyed AS (
        SELECT f.*, CASE p_sort WHEN 'runcat' THEN f.runcat::double precision
                                WHEN 'wm_ra' THEN f.wm_ra WHEN 'wm_decl' THEN f.wm_decl
                                WHEN 'f_datapoints' THEN f.f_datapoints::double precision
                                WHEN 'avg_f_int' THEN f.avg_f_int WHEN 'v_int' THEN f.v_int
                                WHEN 'eta_int' THEN f.eta_int
                                WHEN 'lightcurve_max' THEN f.lightcurve_max
                                WHEN 'sigma_rms_max' THEN f.sigma_rms_max
                                WHEN 'newsource_type' THEN f.newsource_type::double precision
                    END AS sort_key
        FROM f
    ), page AS (
        SELECT * FROM keyed
        ORDER BY CASE WHEN p_descending THEN -sort_key ELSE sort_key END NULLS LAST, runcat
        LIMIT p_limit OFFSET p_offset
    ), plane AS MATERIALIZED (
        SELECT f.runcat, f.eta_int, f.v_int FROM f WHERE f.eta_int > 0 AND f.v_int > 0
    ), n AS (
        SELECT count(*) AS plotted FROM plane
    )
    SELECT (SELECT count(*) FROM f),
           (SELECT coalesce(json_agg(row_to_json(p)::jsonb - 'sort_key'
                                     ORDER BY CASE WHEN p_descending THEN -p.sort_key
                                                   ELSE p.sort_key END NULLS LAST, p.runcat),
                            '[]') FROM page p),
           n.plotted,
           CASE WHEN n.plotted <= p_point_limit THEN
               (SELECT coalesce(json_agg(plane ORDER BY plane.runcat), '[]') FROM plane) END,
           CASE WHEN n.plotted > p_point_limit THEN
               (SELECT json_agg(b) FROM viewer_bins2d(ARRAY(SELECT log(eta_int) FROM plane ORDER BY runcat),
                                                      ARRAY(SELECT log(v_int) FROM plane ORDER BY runcat),
                                                      p_bins) b) END
    FROM n
$$;
COMMENT ON FUNCTION viewer_candidates(integer, integer, smallint, integer, double precision,
    double precision, double precision, double precision, text, double precision,
    double precision, double precision, double precision, double precision, text, boolean,
    integer, integer, integer, integer) IS
    'A candidates page from one read of viewer_lightcurves (same filters): total, the sorted page '
    '(json), and the eta-V plane (points up to p_point_limit, else a histogram of log10 eta, log10 V).';

CREATE OR REPLACE FUNCTION viewer_sky(p_dataset integer, p_point_limit integer, p_bins integer)
RETURNS TABLE (total bigint, points json, bins json)
LANGUAGE sql STABLE
AS $$
    -- The dataset's lightcurves at their weighted-mean positions (deg) with varmetric's mean
    -- f_int (Jy): each up to p_point_limit of them, else a p_bins x p_bins histogram of
    -- (RA, Dec). Two probes per lightcurve (runningcatalog, varmetric).
    WITH p AS MATERIALIZED (
        SELECT rc.id AS runcat, rc.wm_ra, rc.wm_decl, vm.lightcurve_avg AS f_int
        FROM viewer_dataset_runcats(p_dataset) d
        CROSS JOIN LATERAL (SELECT r.id, r.wm_ra, r.wm_decl FROM runningcatalog r
                            WHERE r.id = d.runcat OFFSET 0) rc
        LEFT JOIN LATERAL (SELECT v.lightcurve_avg FROM varmetric v
                           WHERE v.runcat = rc.id OFFSET 0) vm ON true
    ), n AS (
        SELECT count(*) AS total FROM p
    )
    SELECT n.total,
           CASE WHEN n.total <= p_point_limit THEN
               (SELECT coalesce(json_agg(p ORDER BY p.runcat), '[]') FROM p) END,
           CASE WHEN n.total > p_point_limit THEN
               (SELECT json_agg(b) FROM viewer_bins2d(ARRAY(SELECT wm_ra FROM p ORDER BY runcat),
                                                      ARRAY(SELECT wm_decl FROM p ORDER BY runcat),
                                                      p_bins) b) END
    FROM n
$$;
COMMENT ON FUNCTION viewer_sky(integer, integer, integer) IS
    'A dataset''s lightcurves on the sky (deg; mean f_int in Jy): points up to p_point_limit, else '
    'a histogram of (RA, Dec).';

CREATE OR REPLACE FUNCTION viewer_bins2d(p_x double precision[], p_y double precision[],
                                         p_bins integer)
RETURNS TABLE (x_lo double precision, x_hi double precision, y_lo double precision,
               y_hi double precision, n bigint)
LANGUAGE sql IMMUTABLE
AS $$
    -- p_bins x p_bins equal bins spanning [min, max] of each array (pairs with a NULL are
    -- ignored); only non-empty bins are returned. A constant array gets one bin of width 0.
    WITH v AS (
        SELECT x, y FROM unnest(p_x, p_y) AS u(x, y) WHERE x IS NOT NULL AND y IS NOT NULL
    ), r AS (
        SELECT min(x) AS x0, max(x) AS x1, min(y) AS y0, max(y) AS y1 FROM v
    ), b AS (
        SELECT CASE WHEN r.x1 > r.x0 THEN least(floor((v.x - r.x0) / (r.x1 - r.x0) * p_bins), p_bins - 1)
                    ELSE 0 END AS i,
               CASE WHEN r.y1 > r.y0 THEN least(floor((v.y - r.y0) / (r.y1 - r.y0) * p_bins), p_bins - 1)
                    ELSE 0 END AS j,
               r.x0, r.x1, r.y0, r.y1
        FROM v CROSS JOIN r
    )
    SELECT x0 + (x1 - x0) * i / p_bins, x0 + (x1 - x0) * (i + 1) / p_bins,
           y0 + (y1 - y0) * j / p_bins, y0 + (y1 - y0) * (j + 1) / p_bins, count(*)
    FROM b GROUP BY i, j, x0, x1, y0, y1
    ORDER BY i, j
$$;
COMMENT ON FUNCTION viewer_bins2d(double precision[], double precision[], integer) IS
    'Two-dimensional histogram of paired values: p_bins x p_bins equal bins over [min, max] of each '
    'array; non-empty bins with their edges and counts.';

CREATE OR REPLACE FUNCTION viewer_upper_limits(p_runcat integer)
RETURNS TABLE (image integer, taustart_ts timestamp, band integer, freq_eff double precision,
               stokes smallint, rms_min double precision, rms_max double precision,
               detection_thresh double precision)
LANGUAGE sql STABLE
AS $$
    -- Images of the lightcurve's dataset whose sky region contains its position, not rejected,
    -- with no measurement in the lightcurve (blind or forced): where it was not seen.
    WITH rc AS (
        SELECT id, dataset, pos FROM runningcatalog WHERE id = p_runcat
    ), measured AS MATERIALIZED (
        SELECT x.image FROM assocxtrsource a
        CROSS JOIN LATERAL (SELECT x.image FROM extractedsource x WHERE x.id = a.xtrsrc OFFSET 0) x
        WHERE a.runcat = p_runcat
    )
    SELECT i.id, i.taustart_ts, i.band, i.freq_eff, i.stokes, i.rms_min, i.rms_max,
           i.detection_thresh
    FROM rc
    JOIN skyregion s ON s.dataset = rc.dataset AND s.region @> rc.pos
    JOIN image i ON i.skyrgn = s.id
    WHERE i.id NOT IN (SELECT m.image FROM measured m)
      AND NOT EXISTS (SELECT FROM rejection j WHERE j.image = i.id)
    ORDER BY i.taustart_ts, i.freq_eff, i.id
$$;
COMMENT ON FUNCTION viewer_upper_limits(integer) IS
    'Images (rms in Jy, detection threshold in sigma) that covered a lightcurve''s position without '
    'a measurement of it: the places of its upper limits.';

CREATE OR REPLACE FUNCTION viewer_image_outcome(p_image integer)
RETURNS TABLE (extract_type smallint, assoc_type smallint, n bigint)
LANGUAGE sql STABLE
AS $$
    -- The image's measurements counted by extraction type and by the type of each of their
    -- links (assoc_type NULL: a measurement in no lightcurve). A measurement in several
    -- lightcurves (many-to-one, or copied into forks later: type 6) counts once per link.
    SELECT x.extract_type, a.type, count(*)
    FROM extractedsource x
    LEFT JOIN LATERAL (SELECT a.type FROM assocxtrsource a WHERE a.xtrsrc = x.id OFFSET 0) a ON true
    WHERE x.image = p_image
    GROUP BY x.extract_type, a.type
    ORDER BY x.extract_type, a.type
$$;
COMMENT ON FUNCTION viewer_image_outcome(integer) IS
    'Counts of an image''s measurements per extraction type and link (assoc) type.';

CREATE OR REPLACE FUNCTION viewer_image_detections(p_image integer, p_limit integer,
                                                   p_offset integer DEFAULT 0)
RETURNS TABLE (xtrsrc bigint, ra double precision, decl double precision,
               f_peak double precision, f_int double precision, f_int_err double precision,
               det_sigma double precision, extract_type smallint, runcats integer[])
LANGUAGE sql STABLE
AS $$
    -- Brightest (f_int) first; the lightcurves of each measurement are probed for the page only.
    SELECT x.id, x.ra, x.decl, x.f_peak, x.f_int, x.f_int_err, x.det_sigma, x.extract_type,
           ARRAY(SELECT a.runcat FROM assocxtrsource a WHERE a.xtrsrc = x.id ORDER BY a.runcat)
    FROM (SELECT * FROM extractedsource e WHERE e.image = p_image
          ORDER BY e.f_int DESC NULLS LAST, e.id LIMIT p_limit OFFSET p_offset) x
    ORDER BY x.f_int DESC NULLS LAST, x.id
$$;
COMMENT ON FUNCTION viewer_image_detections(integer, integer, integer) IS
    'A page of an image''s measurements (deg, Jy), brightest first, with the lightcurves of each.';

CREATE OR REPLACE FUNCTION viewer_cone(p_dataset integer, p_ra double precision,
                                       p_decl double precision, p_radius double precision,
                                       p_limit integer DEFAULT NULL)
RETURNS TABLE (runcat integer, distance_deg double precision)
LANGUAGE sql STABLE
AS $$
    -- Blind runcats by the zones index on the anchor (runcat_zone_search, 05_zones.sql: within
    -- runcat_anchor_margin() of the weighted mean), then exactly on the weighted mean;
    -- monitored runcats (not in that index) through the dataset's monitoring list. At most
    -- p_limit rows (NULL: all), in no order.
    WITH c AS (
        SELECT spoint(radians(p_ra), radians(p_decl)) AS centre
    )
    (SELECT rc.id, degrees(rc.pos <-> c.centre)
     FROM c CROSS JOIN LATERAL runcat_zone_search(p_dataset, ra_norm(p_ra), p_decl,
                                                  p_radius + runcat_anchor_margin()) rc
     WHERE rc.pos <@ scircle(c.centre, radians(p_radius))
     UNION ALL
     SELECT rc.id, degrees(rc.pos <-> c.centre)
     FROM c CROSS JOIN monitor m
     CROSS JOIN LATERAL (SELECT * FROM runningcatalog r WHERE r.id = m.runcat OFFSET 0) rc
     WHERE m.dataset = p_dataset AND rc.pos <@ scircle(c.centre, radians(p_radius)))
    LIMIT p_limit
$$;
COMMENT ON FUNCTION viewer_cone(integer, double precision, double precision, double precision, integer) IS
    'Runcats of a dataset whose weighted-mean position is within p_radius (deg) of (p_ra, p_decl) '
    '(deg), with their distance (deg); at most p_limit rows (NULL: all).';

CREATE OR REPLACE FUNCTION viewer_scs(p_dataset integer, p_ra double precision,
                                      p_decl double precision, p_radius double precision,
                                      p_limit integer)
RETURNS TABLE (runcat integer, distance_deg double precision, wm_ra double precision,
               wm_decl double precision, wm_uncertainty_ew double precision,
               wm_uncertainty_ns double precision, datapoints integer, mon_src boolean,
               newsource_type smallint, band integer, stokes smallint, f_datapoints integer,
               avg_f_int double precision, v_int double precision, eta_int double precision)
LANGUAGE sql STABLE
AS $$
    -- The running catalogue in a cone for the Simple Cone Search: at most p_limit lightcurves
    -- (viewer_cone), each with one row per band and Stokes it was measured in (band NULL for
    -- none): mean f_int (Jy), V and eta from the running means, as association computes them.
    SELECT rc.id, c.distance_deg, rc.wm_ra, rc.wm_decl, rc.wm_uncertainty_ew,
           rc.wm_uncertainty_ns, rc.datapoints, rc.mon_src, ns.newsource_type,
           f.band, f.stokes, f.f_datapoints, f.avg_f_int,
           v_index(f.f_datapoints, f.avg_f_int, f.avg_f_int_sq),
           eta_index(f.f_datapoints, f.avg_f_int_weight, f.avg_weighted_f_int, f.avg_weighted_f_int_sq)
    FROM viewer_cone(p_dataset, p_ra, p_decl, p_radius, p_limit) c
    CROSS JOIN LATERAL (SELECT * FROM runningcatalog r WHERE r.id = c.runcat OFFSET 0) rc
    LEFT JOIN LATERAL (SELECT n.newsource_type FROM newsource n WHERE n.runcat = rc.id OFFSET 0) ns
        ON true
    LEFT JOIN LATERAL (SELECT * FROM runningcatalog_flux x WHERE x.runcat = rc.id OFFSET 0) f
        ON true
    ORDER BY c.distance_deg, rc.id, f.band, f.stokes
$$;
COMMENT ON FUNCTION viewer_scs(integer, double precision, double precision, double precision, integer) IS
    'Lightcurves within p_radius (deg) of (p_ra, p_decl) (deg), at most p_limit, one row per band '
    'and Stokes: position (deg), uncertainties (deg), mean f_int (Jy), V, eta; nearest first.';

