-- 95_monitoring.sql: the monitoring list, user positions force-fitted in every image, and the
-- association of those fits (assoc types 8 and 9).
--
-- Reads:  monitor, image, extractedsource (the image's extract_type 2 rows), runningcatalog,
--         runningcatalog_flux.
-- Writes: monitor (new positions; runcat once first fitted), runningcatalog (a mon_src runcat per
--         monitored position, created at its first fit; datapoints + 1 and forcedfits_count 0 at
--         every later fit; positions unchanged), runningcatalog_flux, assocxtrsource (8 first
--         fit, 9 later fits), temprunningcatalog rows of type 9 (the session's scratch table),
--         deleted at the end; the variability state lives in runningcatalog_flux (view varmetric).
-- Invariant: the fits obey the rules of 03_load_checks.sql (a monitor of the dataset, once per
--            image, within rb_smaj of the monitored position, so the first fit places the
--            runcat there). A monitored runcat is fed only by the fits of its monitor row: blind association
--            (assoc_candidates filters mon_src, and so does its spatial index), null detections
--            and sky-region membership never see it.

CREATE OR REPLACE FUNCTION insert_monitor_positions(p_dataset integer, p_ra double precision[],
                                                    p_decl double precision[],
                                                    p_name text[] DEFAULT NULL)
RETURNS SETOF integer
LANGUAGE plpgsql VOLATILE
AS $$
-- Add positions (deg; RA in [-1e6, 1e6], folded into [0, 360); NaN, infinities and decl outside
-- [-90, 90] refused) to a dataset's monitoring list; returns the new
-- monitor ids in input order.
DECLARE
    bad integer;
BEGIN
    IF NOT EXISTS (SELECT FROM dataset WHERE id = p_dataset) THEN
        RAISE EXCEPTION 'insert_monitor_positions: dataset % does not exist', p_dataset;
    END IF;
    IF cardinality(p_ra) IS DISTINCT FROM cardinality(p_decl)
       OR (p_name IS NOT NULL AND cardinality(p_name) <> cardinality(p_ra)) THEN
        RAISE EXCEPTION 'insert_monitor_positions: ra, decl (and name) must have the same length';
    END IF;
    SELECT k INTO bad FROM unnest(p_ra, p_decl) WITH ORDINALITY AS p(ra, decl, k)
    WHERE ra IS NULL OR decl IS NULL OR NOT (ra BETWEEN -1e6 AND 1e6) OR NOT (decl BETWEEN -90 AND 90)
    ORDER BY k LIMIT 1;
    IF bad IS NOT NULL THEN
        RAISE EXCEPTION 'insert_monitor_positions: position % (row %) is not a valid (ra, decl) in deg',
            format('(%s, %s)', p_ra[bad], p_decl[bad]), bad - 1;
    END IF;
    PERFORM dataset_lock(p_dataset);
    RETURN QUERY
    WITH ids AS (
        SELECT k, nextval(pg_get_serial_sequence('monitor', 'id'))::integer AS id
        FROM generate_series(1, cardinality(p_ra)) AS k
    ), inserted AS (
        INSERT INTO monitor (id, dataset, ra, decl, name)
        SELECT ids.id, p_dataset, ra_norm(p_ra[ids.k]), p_decl[ids.k], p_name[ids.k]
        FROM ids
        RETURNING id
    )
    SELECT ids.id FROM ids JOIN inserted USING (id) ORDER BY ids.k;
END
$$;
COMMENT ON FUNCTION insert_monitor_positions(integer, double precision[], double precision[], text[]) IS
    'Add positions (deg) to the monitoring list of a dataset; returns the monitor ids in input order.';

CREATE OR REPLACE FUNCTION get_monitor_entries(p_dataset integer)
RETURNS TABLE (id integer, runcat integer, ra double precision, decl double precision, name text)
LANGUAGE sql STABLE
AS $$
    SELECT id, runcat, ra, decl, name FROM monitor WHERE dataset = p_dataset ORDER BY id
$$;
COMMENT ON FUNCTION get_monitor_entries(integer) IS
    'The monitoring list of a dataset: positions (deg) to force-fit in every image, and their runcat once fitted.';

CREATE OR REPLACE FUNCTION associate_monitored(p_image integer,
                                               OUT first_fits integer, OUT later_fits integer)
LANGUAGE plpgsql VOLATILE
SET jit = off  -- compiling costs more than this statement runs: see 80_associate_image.sql
SET plan_cache_mode = force_custom_plan
AS $$
-- Link the image's monitoring forced fits (extract_type 2) to their monitored runcats: type 9
-- for a position fitted before, otherwise a new mon_src runcat and type 8.
DECLARE
    ds integer;
    bad record;
BEGIN
    SELECT dataset INTO ds FROM image WHERE id = p_image;
    IF ds IS NULL THEN
        RAISE EXCEPTION 'associate_monitored: image % does not exist', p_image;
    END IF;
    PERFORM dataset_lock(ds);
    PERFORM assoc_scratch();
    PERFORM assoc_open(p_image, 'associate_monitored');   -- 07_stage_guards.sql
    IF EXISTS (SELECT FROM extractedsource x JOIN assocxtrsource a ON a.xtrsrc = x.id
               WHERE x.image = p_image AND x.extract_type = 2) THEN
        RAISE EXCEPTION 'associate_monitored: the monitoring fits of image % are already associated',
            p_image;
    END IF;
    -- the rules of 03_load_checks.sql, for rows however they were stored
    WITH stored AS (
        SELECT array_agg(x.id ORDER BY x.id) AS ids, array_agg(x.ff_monitor ORDER BY x.id) AS refs,
               array_agg(x.ra ORDER BY x.id) AS ra, array_agg(x.decl ORDER BY x.id) AS decl
        FROM extractedsource x WHERE x.image = p_image AND x.extract_type = 2
    )
    SELECT s.ids[r.k + 1] AS id, r.reason INTO bad
    FROM stored s
    CROSS JOIN LATERAL forced_fit_refusals(p_image, 2::smallint, s.refs, s.ra, s.decl, true) r
    ORDER BY r.k LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'associate_monitored: extraction % of image %: %', bad.id, p_image, bad.reason;
    END IF;

    -- later fits (type 9): one more datapoint, position unchanged
    INSERT INTO temprunningcatalog (
        image, runcat, xtrsrc, dataset, band, stokes, distance_arcsec, r, f_int, assoc_type,
        datapoints, wm_ra, wm_decl, wm_uncertainty_ew, wm_uncertainty_ns,
        avg_ra_err, avg_decl_err, avg_wra, avg_wdecl, avg_weight_ra, avg_weight_decl,
        f_datapoints,
        avg_f_peak, avg_f_peak_sq, avg_f_peak_weight, avg_weighted_f_peak, avg_weighted_f_peak_sq,
        avg_f_int, avg_f_int_sq, avg_f_int_weight, avg_weighted_f_int, avg_weighted_f_int_sq)
    SELECT i.id, rc.id, x.id, rc.dataset, i.band, i.stokes, 0, 0, x.f_int, 9,
           rc.datapoints + 1, rc.wm_ra, rc.wm_decl, rc.wm_uncertainty_ew, rc.wm_uncertainty_ns,
           rc.avg_ra_err, rc.avg_decl_err, rc.avg_wra, rc.avg_wdecl, rc.avg_weight_ra,
           rc.avg_weight_decl,
           coalesce(f.f_datapoints, 0) + 1,
           running_mean(f.f_datapoints, f.avg_f_peak, x.f_peak),
           running_mean(f.f_datapoints, f.avg_f_peak_sq, x.f_peak ^ 2),
           running_mean(f.f_datapoints, f.avg_f_peak_weight, x.f_peak_err ^ -2),
           running_mean(f.f_datapoints, f.avg_weighted_f_peak, x.f_peak * x.f_peak_err ^ -2),
           running_mean(f.f_datapoints, f.avg_weighted_f_peak_sq, x.f_peak ^ 2 * x.f_peak_err ^ -2),
           running_mean(f.f_datapoints, f.avg_f_int, x.f_int),
           running_mean(f.f_datapoints, f.avg_f_int_sq, x.f_int ^ 2),
           running_mean(f.f_datapoints, f.avg_f_int_weight, x.f_int_err ^ -2),
           running_mean(f.f_datapoints, f.avg_weighted_f_int, x.f_int * x.f_int_err ^ -2),
           running_mean(f.f_datapoints, f.avg_weighted_f_int_sq, x.f_int ^ 2 * x.f_int_err ^ -2)
    FROM image i
    JOIN extractedsource x ON x.image = p_image AND x.extract_type = 2
    JOIN monitor m ON m.id = x.ff_monitor
    CROSS JOIN LATERAL (SELECT rc.* FROM runningcatalog rc WHERE rc.id = m.runcat OFFSET 0) rc
    LEFT JOIN LATERAL (SELECT f.* FROM runningcatalog_flux f
                       WHERE f.runcat = rc.id AND f.band = i.band AND f.stokes = i.stokes OFFSET 0) f ON true
    WHERE i.id = p_image;
    GET DIAGNOSTICS later_fits = ROW_COUNT;
    PERFORM assoc_insert_links(p_image, 9);
    PERFORM assoc_store_flux(p_image, 9);
    UPDATE runningcatalog rc SET datapoints = t.datapoints, forcedfits_count = 0
    FROM temprunningcatalog t
    WHERE t.image = p_image AND t.assoc_type = 9 AND rc.id = t.runcat;

    -- first fits (type 8): a monitored runcat at the fitted position
    WITH img AS (
        SELECT id, dataset, band, stokes, taustart_ts, freq_eff FROM image WHERE id = p_image
    ), new_rc AS (
        INSERT INTO runningcatalog (xtrsrc, dataset, datapoints, wm_ra, wm_decl,
                                    wm_uncertainty_ew, wm_uncertainty_ns, avg_ra_err, avg_decl_err,
                                    avg_wra, avg_wdecl, avg_weight_ra, avg_weight_decl,
                                    anchor_ra, anchor_decl, mon_src)
        SELECT x.id, img.dataset, 1, x.ra, x.decl, x.uncertainty_ew, x.uncertainty_ns,
               x.ra_err, x.decl_err,
               x.ra * x.uncertainty_ew ^ -2, x.decl * x.uncertainty_ns ^ -2,
               x.uncertainty_ew ^ -2, x.uncertainty_ns ^ -2, x.ra, x.decl, true
        FROM img
        JOIN extractedsource x ON x.image = p_image AND x.extract_type = 2
        JOIN monitor m ON m.id = x.ff_monitor AND m.runcat IS NULL
        RETURNING id, xtrsrc
    ), nx AS MATERIALIZED (
        SELECT rc.id, rc.xtrsrc, x.ff_monitor, x.f_peak, x.f_peak_err, x.f_int, x.f_int_err
        FROM new_rc rc
        CROSS JOIN LATERAL (SELECT x.ff_monitor, x.f_peak, x.f_peak_err, x.f_int, x.f_int_err
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
        FROM nx x CROSS JOIN img
    ), links AS (
        INSERT INTO assocxtrsource (runcat, xtrsrc, type, distance_arcsec, r,
                                    v_int, eta_int, f_datapoints, v_peak, eta_peak, band, stokes, f_int)
        SELECT x.id, x.xtrsrc, 8, 0, 0, 0, 0, 1, 0, 0, img.band, img.stokes, x.f_int
        FROM nx x CROSS JOIN img
    ), watched AS (
        UPDATE monitor m SET runcat = x.id
        FROM nx x
        WHERE m.id = x.ff_monitor
    )
    SELECT count(*) INTO first_fits FROM new_rc;

    PERFORM assoc_cleanup(p_image);
END
$$;
COMMENT ON FUNCTION associate_monitored(integer) IS
    'Associate the monitoring forced fits (extract_type 2) of an image: type 8 and a new mon_src '
    'runcat for a position fitted for the first time, type 9 afterwards; returns both counts.';
