-- 02_images.sql: register an image, with its frequency band and sky region.
--
-- Reads:  dataset, frequencyband, skyregion, runningcatalog (a new region's runcats through the
--         zones index, runcat_zone_search() of 05_zones.sql).
-- Writes: image; frequencyband and skyregion when no existing row fits; assocskyrgn for the
--         runcats of the dataset that lie inside a newly created sky region.
-- Invariant: every image has a band and a sky region of its own dataset; every blind runcat
--            (mon_src false) has an assocskyrgn row for every sky region that contains it.
--            Calls for one dataset are serialized with association (same advisory lock).

CREATE OR REPLACE FUNCTION dataset_lock(p_dataset integer) RETURNS void
LANGUAGE sql VOLATILE
RETURN pg_advisory_xact_lock(1952805748, p_dataset);
COMMENT ON FUNCTION dataset_lock(integer) IS
    'Serialize writers of one dataset until the end of the transaction (advisory lock, class 1952805748 = ''tkpd'').';

CREATE OR REPLACE FUNCTION get_band(p_dataset integer, p_freq_eff double precision,
                                    p_freq_bw double precision)
RETURNS integer
LANGUAGE plpgsql VOLATILE
AS $$
-- The band whose [freq_low, freq_high] strictly overlaps [freq_eff -/+ freq_bw/2] (TraP's rule);
-- when several do, the largest overlap, then the nearest freq_central, then the oldest band.
-- No overlap: a new band centred on freq_eff.
DECLARE
    lo constant double precision := p_freq_eff - coalesce(p_freq_bw, 0.0) / 2.0;
    hi constant double precision := p_freq_eff + coalesce(p_freq_bw, 0.0) / 2.0;
    band_id integer;
BEGIN
    SELECT fb.id INTO band_id
    FROM frequencyband fb
    WHERE fb.dataset = p_dataset
      AND greatest(hi, fb.freq_high) - least(lo, fb.freq_low) < (hi - lo) + (fb.freq_high - fb.freq_low)
    ORDER BY least(hi, fb.freq_high) - greatest(lo, fb.freq_low) DESC,
             abs(fb.freq_central - p_freq_eff), fb.id
    LIMIT 1;
    IF band_id IS NULL THEN
        INSERT INTO frequencyband (dataset, freq_central, freq_low, freq_high)
        VALUES (p_dataset, p_freq_eff, lo, hi)
        RETURNING id INTO band_id;
    END IF;
    RETURN band_id;
END
$$;
COMMENT ON FUNCTION get_band(integer, double precision, double precision) IS
    'The frequency band (id) of an image at freq_eff with bandwidth freq_bw (Hz): the best strictly '
    'overlapping band of the dataset, else a new one.';

CREATE OR REPLACE FUNCTION get_skyregion(p_dataset integer, p_centre_ra double precision,
                                         p_centre_decl double precision, p_xtr_radius double precision)
RETURNS integer
LANGUAGE plpgsql VOLATILE
AS $$
-- An existing region with exactly this centre and radius (deg), or a new one; a new region
-- is linked at once to the dataset's blind runcats inside it (never to monitored runcats).
DECLARE
    rgn_id integer;
BEGIN
    SELECT s.id INTO rgn_id FROM skyregion s
    WHERE s.dataset = p_dataset AND s.centre_ra = p_centre_ra
      AND s.centre_decl = p_centre_decl AND s.xtr_radius = p_xtr_radius;
    IF rgn_id IS NOT NULL THEN
        RETURN rgn_id;
    END IF;
    INSERT INTO skyregion (dataset, centre_ra, centre_decl, xtr_radius)
    VALUES (p_dataset, p_centre_ra, p_centre_decl, p_xtr_radius)
    RETURNING id INTO rgn_id;
    INSERT INTO assocskyrgn (runcat, skyrgn, distance_deg)
    SELECT rc.id, s.id, degrees(rc.pos <-> s.centre)
    FROM skyregion s
    CROSS JOIN LATERAL runcat_zone_search(s.dataset, s.centre_ra, s.centre_decl,
                                          s.xtr_radius + runcat_anchor_margin()) rc
    WHERE s.id = rgn_id AND rc.pos <@ s.region;
    RETURN rgn_id;
END
$$;
COMMENT ON FUNCTION get_skyregion(integer, double precision, double precision, double precision) IS
    'The sky region (id) with exactly this centre and radius (deg), else a new one linked to the '
    'blind runcats inside it.';

CREATE OR REPLACE FUNCTION insert_image(
    p_dataset integer, p_taustart_ts timestamp, p_tau_time double precision,
    p_freq_eff double precision, p_freq_bw double precision,
    p_rb_smaj double precision, p_rb_smin double precision, p_rb_pa double precision,
    p_centre_ra double precision, p_centre_decl double precision, p_xtr_radius double precision,
    p_rms_min double precision DEFAULT NULL, p_rms_max double precision DEFAULT NULL,
    p_detection_thresh double precision DEFAULT NULL, p_analysis_thresh double precision DEFAULT NULL,
    p_stokes smallint DEFAULT 1, p_url text DEFAULT NULL)
RETURNS integer
LANGUAGE plpgsql VOLATILE
AS $$
-- Insert one image (units: deg, Hz, s, Jy) and return its id. centre_ra is folded into [0, 360).
DECLARE
    image_id integer;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM dataset WHERE id = p_dataset) THEN
        RAISE EXCEPTION 'insert_image: dataset % does not exist', p_dataset;
    END IF;
    PERFORM dataset_lock(p_dataset);
    INSERT INTO image (dataset, band, skyrgn, stokes, tau_time, freq_eff, freq_bw, taustart_ts,
                       rb_smaj, rb_smin, rb_pa, rms_min, rms_max, detection_thresh,
                       analysis_thresh, url)
    VALUES (p_dataset,
            get_band(p_dataset, p_freq_eff, p_freq_bw),
            get_skyregion(p_dataset, ra_norm(p_centre_ra), p_centre_decl, p_xtr_radius),
            p_stokes, p_tau_time, p_freq_eff, p_freq_bw, p_taustart_ts,
            p_rb_smaj, p_rb_smin, p_rb_pa, p_rms_min, p_rms_max, p_detection_thresh,
            p_analysis_thresh, p_url)
    RETURNING id INTO image_id;
    RETURN image_id;
END
$$;
COMMENT ON FUNCTION insert_image(integer, timestamp, double precision, double precision, double precision,
    double precision, double precision, double precision, double precision, double precision,
    double precision, double precision, double precision, double precision, double precision,
    smallint, text) IS
    'Register an image (deg, Hz, s, Jy) with its band and sky region; returns its id.';

CREATE OR REPLACE FUNCTION delete_dataset(p_dataset integer)
RETURNS void
LANGUAGE plpgsql VOLATILE
AS $$
-- Delete a dataset and everything in it (set-based, dependants first).
BEGIN
    PERFORM dataset_lock(p_dataset);
    DELETE FROM assocskyrgn s USING runningcatalog rc WHERE rc.dataset = p_dataset AND s.runcat = rc.id;
    DELETE FROM assocxtrsource a USING runningcatalog rc WHERE rc.dataset = p_dataset AND a.runcat = rc.id;
    DELETE FROM runningcatalog_flux f USING runningcatalog rc WHERE rc.dataset = p_dataset AND f.runcat = rc.id;
    DELETE FROM newsource ns USING runningcatalog rc WHERE rc.dataset = p_dataset AND ns.runcat = rc.id;
    UPDATE monitor SET runcat = NULL WHERE dataset = p_dataset;
    UPDATE extractedsource x SET ff_runcat = NULL FROM image i
    WHERE i.dataset = p_dataset AND x.image = i.id AND x.ff_runcat IS NOT NULL;
    DELETE FROM runningcatalog WHERE dataset = p_dataset;
    DELETE FROM extractedsource x USING image i WHERE i.dataset = p_dataset AND x.image = i.id;
    DELETE FROM dataset WHERE id = p_dataset;   -- images, bands, regions, monitors cascade
END
$$;
COMMENT ON FUNCTION delete_dataset(integer) IS 'Delete a dataset with all its images, measurements and lightcurves.';

CREATE OR REPLACE FUNCTION check_integrity()
RETURNS TABLE (reference text, dangling bigint)
LANGUAGE sql STABLE
AS $$
-- Count the rows whose engine-kept reference (see 01_schema.sql) points at nothing.
    SELECT 'extractedsource.image', count(*) FROM extractedsource x
    WHERE NOT EXISTS (SELECT FROM image i WHERE i.id = x.image)
    UNION ALL
    SELECT 'runningcatalog.xtrsrc', count(*) FROM runningcatalog rc
    WHERE NOT EXISTS (SELECT FROM extractedsource x WHERE x.id = rc.xtrsrc)
    UNION ALL
    SELECT 'runningcatalog.dataset', count(*) FROM runningcatalog rc
    WHERE NOT EXISTS (SELECT FROM dataset d WHERE d.id = rc.dataset)
    UNION ALL
    SELECT 'runningcatalog_flux.runcat', count(*) FROM runningcatalog_flux f
    WHERE NOT EXISTS (SELECT FROM runningcatalog rc WHERE rc.id = f.runcat)
    UNION ALL
    SELECT 'runningcatalog_flux.band', count(*) FROM runningcatalog_flux f
    WHERE NOT EXISTS (SELECT FROM frequencyband b WHERE b.id = f.band)
    UNION ALL
    SELECT 'assocxtrsource.runcat', count(*) FROM assocxtrsource a
    WHERE NOT EXISTS (SELECT FROM runningcatalog rc WHERE rc.id = a.runcat)
    UNION ALL
    SELECT 'assocxtrsource.xtrsrc', count(*) FROM assocxtrsource a
    WHERE NOT EXISTS (SELECT FROM extractedsource x WHERE x.id = a.xtrsrc)
    UNION ALL
    SELECT 'assocskyrgn.runcat', count(*) FROM assocskyrgn s
    WHERE NOT EXISTS (SELECT FROM runningcatalog rc WHERE rc.id = s.runcat)
    UNION ALL
    SELECT 'assocskyrgn.skyrgn', count(*) FROM assocskyrgn s
    WHERE NOT EXISTS (SELECT FROM skyregion r WHERE r.id = s.skyrgn)
    UNION ALL
    SELECT 'assocxtrsource.band', count(*) FROM assocxtrsource a
    WHERE NOT EXISTS (SELECT FROM frequencyband b WHERE b.id = a.band)
    UNION ALL
    SELECT 'assocxtrsource.f_int (differs from the extraction)', count(*) FROM assocxtrsource a
    JOIN extractedsource x ON x.id = a.xtrsrc
    WHERE a.f_int IS DISTINCT FROM x.f_int;
$$;
COMMENT ON FUNCTION check_integrity() IS
    'Dangling references in the tables whose integrity the engine keeps (expected: all 0). Scans whole tables: a DBA check, not for the hot path.';
