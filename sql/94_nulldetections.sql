-- 94_nulldetections.sql: forced fits at the positions of known sources the source finder
-- missed ("null detections"), and their association (assoc type 7).
--
-- Reads:  image, assocskyrgn, runningcatalog, extractedsource, assocxtrsource (the links of
--         the image's own extractions), runningcatalog_flux.
-- Writes: (association) temprunningcatalog rows of type 7 (deleted at the end), assocxtrsource
--         type 7, runningcatalog_flux of the image's band and Stokes, runningcatalog
--         forcedfits_count + 1 (the variability state lives in runningcatalog_flux: view varmetric).
-- Invariant: the fits obey the rules of 03_load_checks.sql (a known blind runcat of the
--            dataset, once per image, never one the image detected blindly: counted once).
--            A forced fit never moves a runcat nor counts as a positional datapoint
--            (wm_*, avg_*, datapoints unchanged); it adds a flux measurement. A runcat is
--            force-fitted in at most forcedfits_count < expiration consecutive images without a
--            blind detection (a blind one-to-one match resets the count, sql/40_one_to_one.sql).
--            Monitored runcats (mon_src) never take part.

CREATE OR REPLACE FUNCTION get_nulldetections(p_image integer, p_expiration integer DEFAULT 10)
RETURNS TABLE (runcat integer, ra double precision, decl double precision)
LANGUAGE sql STABLE
AS $$
-- The blind runcats of the image's sky region that the image did not detect: first seen in an
-- earlier image, forcedfits_count below the expiration, no link to any extraction of this
-- image. Positions (deg) are the weighted means to fit at.
    WITH this AS (
        SELECT id, dataset, skyrgn, taustart_ts FROM image WHERE id = p_image
    ), seen AS MATERIALIZED (
        SELECT DISTINCT a.runcat
        FROM extractedsource x JOIN assocxtrsource a ON a.xtrsrc = x.id
        WHERE x.image = p_image
    )
    SELECT rc.id, rc.wm_ra, rc.wm_decl
    FROM this
    JOIN assocskyrgn s ON s.skyrgn = this.skyrgn
    JOIN runningcatalog rc ON rc.id = s.runcat
    JOIN extractedsource first_x ON first_x.id = rc.xtrsrc
    JOIN image first_i ON first_i.id = first_x.image
    WHERE rc.dataset = this.dataset
      AND NOT rc.mon_src
      AND rc.forcedfits_count < p_expiration
      AND first_i.taustart_ts < this.taustart_ts
      AND rc.id NOT IN (SELECT runcat FROM seen)
    ORDER BY rc.id
$$;
COMMENT ON FUNCTION get_nulldetections(integer, integer) IS
    'Runcats (id, wm_ra, wm_decl in deg) to force-fit in an image: known blind sources of its sky '
    'region it did not detect, with forcedfits_count < expiration.';

CREATE OR REPLACE FUNCTION associate_nulldetections(p_image integer, OUT forced_fits integer)
LANGUAGE plpgsql VOLATILE
SET jit = off  -- compiling costs more than this statement runs: see 80_associate_image.sql
SET plan_cache_mode = force_custom_plan
AS $$
-- Link the image's null-detection forced fits (extract_type 1) to their runcats (type 7).
DECLARE
    ds integer;
    bad record;
BEGIN
    SELECT dataset INTO ds FROM image WHERE id = p_image;
    IF ds IS NULL THEN
        RAISE EXCEPTION 'associate_nulldetections: image % does not exist', p_image;
    END IF;
    PERFORM dataset_lock(ds);
    PERFORM assoc_scratch();
    PERFORM assoc_open(p_image, 'associate_nulldetections');   -- 07_stage_guards.sql
    IF EXISTS (SELECT FROM extractedsource x JOIN assocxtrsource a ON a.xtrsrc = x.id
               WHERE x.image = p_image AND x.extract_type = 1) THEN
        RAISE EXCEPTION 'associate_nulldetections: the forced fits of image % are already associated',
            p_image;
    END IF;
    -- the rules of 03_load_checks.sql, for rows however they were stored
    WITH stored AS (
        SELECT array_agg(x.id ORDER BY x.id) AS ids, array_agg(x.ff_runcat ORDER BY x.id) AS refs
        FROM extractedsource x WHERE x.image = p_image AND x.extract_type = 1
    )
    SELECT s.ids[r.k + 1] AS id, r.reason INTO bad
    FROM stored s CROSS JOIN LATERAL forced_fit_refusals(p_image, 1::smallint, s.refs, p_stored => true) r
    ORDER BY r.k LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'associate_nulldetections: extraction % of image %: %', bad.id, p_image,
            bad.reason;
    END IF;

    INSERT INTO temprunningcatalog (
        image, runcat, xtrsrc, dataset, band, stokes, distance_arcsec, r, f_int, assoc_type,
        datapoints, wm_ra, wm_decl, wm_uncertainty_ew, wm_uncertainty_ns,
        avg_ra_err, avg_decl_err, avg_wra, avg_wdecl, avg_weight_ra, avg_weight_decl,
        f_datapoints,
        avg_f_peak, avg_f_peak_sq, avg_f_peak_weight, avg_weighted_f_peak, avg_weighted_f_peak_sq,
        avg_f_int, avg_f_int_sq, avg_f_int_weight, avg_weighted_f_int, avg_weighted_f_int_sq)
    SELECT i.id, rc.id, x.id, rc.dataset, i.band, i.stokes, 0, 0, x.f_int, 7,
           rc.datapoints, rc.wm_ra, rc.wm_decl, rc.wm_uncertainty_ew, rc.wm_uncertainty_ns,
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
    JOIN extractedsource x ON x.image = p_image AND x.extract_type = 1
    CROSS JOIN LATERAL (SELECT rc.* FROM runningcatalog rc WHERE rc.id = x.ff_runcat OFFSET 0) rc
    LEFT JOIN LATERAL (SELECT f.* FROM runningcatalog_flux f
                       WHERE f.runcat = rc.id AND f.band = i.band AND f.stokes = i.stokes OFFSET 0) f ON true
    WHERE i.id = p_image;
    GET DIAGNOSTICS forced_fits = ROW_COUNT;

    PERFORM assoc_insert_links(p_image, 7);
    PERFORM assoc_store_flux(p_image, 7);
    UPDATE runningcatalog rc SET forcedfits_count = rc.forcedfits_count + 1
    FROM temprunningcatalog t
    WHERE t.image = p_image AND t.assoc_type = 7 AND rc.id = t.runcat;
    PERFORM assoc_cleanup(p_image);
END
$$;
COMMENT ON FUNCTION associate_nulldetections(integer) IS
    'Associate the null-detection forced fits (extract_type 1) of an image with their runcats '
    '(type 7: flux statistics updated, positions unchanged, forcedfits_count + 1); returns their number.';
