-- 02_images.sql: register an image, with its frequency band and sky region.
--
-- Reads:  dataset, frequencyband, skyregion, runningcatalog (a new region's runcats through the
--         zones index, runcat_zone_search() of 05_zones.sql).
-- Writes: image; frequencyband and skyregion when no existing row fits; assocskyrgn for the
--         runcats of the dataset that lie inside a newly created sky region.
-- Invariant: every image has a band and a sky region of its own dataset; every blind runcat
--            (mon_src false) has an assocskyrgn row for every sky region that contained its
--            position when the runcat or the region was created, and no other. Calls for one
--            dataset are serialized with association (same advisory lock, waited for a bounded
--            time). Nothing is stored for an image with a field outside its documented range
--            or one that starts before an image already associated in its dataset (lightcurves
--            follow time, not insertion order): see image_refusal().

-- ---------------------------------------------------------------------------------------
-- The dataset lock: one writer per dataset, waited for a bounded time

CREATE OR REPLACE FUNCTION dataset_lock(p_dataset integer) RETURNS void
LANGUAGE plpgsql VOLATILE
AS $$
-- Take the dataset's advisory lock for the rest of the transaction. A holder that keeps it
-- longer than tkpdb.lock_timeout (default 60s; '0' waits forever) makes this call
-- fail with lock_not_available, naming the dataset and the holder's pid. The datasets this
-- transaction holds are recorded in tkpdb.locked_datasets (read by the stage guards).
DECLARE
    wait_for constant text :=
        coalesce(nullif(current_setting('tkpdb.lock_timeout', true), ''), '60s');
    old_timeout text;
    holder record;
BEGIN
    IF p_dataset IS NULL THEN
        RAISE EXCEPTION 'dataset_lock: dataset must not be NULL';
    END IF;
    IF NOT pg_try_advisory_xact_lock(1952805748, p_dataset) THEN
        old_timeout := current_setting('lock_timeout');
        BEGIN
            PERFORM set_config('lock_timeout', wait_for, true);
            PERFORM pg_advisory_xact_lock(1952805748, p_dataset);
        EXCEPTION WHEN lock_not_available THEN
            SELECT l.pid, a.application_name, a.state, a.xact_start INTO holder
            FROM pg_locks l LEFT JOIN pg_stat_activity a ON a.pid = l.pid
            WHERE l.locktype = 'advisory' AND l.classid = 1952805748 AND l.objid = p_dataset
              AND l.objsubid = 2 AND l.granted
              AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
            LIMIT 1;
            RAISE EXCEPTION USING ERRCODE = 'lock_not_available',
                MESSAGE = format('dataset %s is locked by another session (pid %s%s) and was not '
                                 'released within %s (tkpdb.lock_timeout)',
                                 p_dataset, coalesce(holder.pid::text, 'unknown'),
                                 CASE WHEN holder.state IS NOT NULL
                                      THEN format(', %s since %s', holder.state, holder.xact_start)
                                      ELSE '' END,
                                 wait_for),
                HINT = 'Wait for that session to commit, or end it: SELECT pg_terminate_backend(pid).';
        END;
        PERFORM set_config('lock_timeout', old_timeout, true);
    END IF;
    PERFORM note_dataset_locked(p_dataset);
END
$$;
COMMENT ON FUNCTION dataset_lock(integer) IS
    'Serialize writers of one dataset until the end of the transaction (advisory lock, class '
    '1952805748 = ''tkpd''); waits at most tkpdb.lock_timeout (default 60s), then fails '
    'naming the dataset and the pid holding it.';

CREATE OR REPLACE FUNCTION dataset_latest_associated(p_dataset integer) RETURNS timestamp
LANGUAGE sql STABLE
-- a few primary-key probes of association_log, whatever its statistics say (a tiny table at
-- the last ANALYZE would otherwise be scanned whole per probe)
SET enable_seqscan = off
AS $$
    -- the dataset's images from the latest backwards (index image_dataset_time) to the first
    -- one associated: the images registered but not associated yet are the only ones skipped.
    -- Derived, not stored: a stored watermark would be one row that every association of the
    -- dataset updates, and the tiles of an epoch (06_sky_area_lock.sql) would queue on it.
    SELECT i.taustart_ts FROM image i
    WHERE i.dataset = p_dataset AND EXISTS (SELECT FROM association_log l WHERE l.image = i.id)
    ORDER BY i.taustart_ts DESC
    LIMIT 1
$$;
COMMENT ON FUNCTION dataset_latest_associated(integer) IS
    'Start time of the latest associated image of the dataset (NULL: none yet): images are '
    'associated in time order, an earlier one is refused (insert_image, associate_image).';

CREATE OR REPLACE FUNCTION dataset_locked(p_dataset integer) RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE
RETURN position(',' || p_dataset || ',' IN coalesce(current_setting('tkpdb.locked_datasets', true), '')) > 0;
COMMENT ON FUNCTION dataset_locked(integer) IS
    'Whether this transaction holds the dataset''s lock (dataset_lock()) or the lock of a sky area '
    'of it (sky_area_lock(), 06_sky_area_lock.sql) (O(1), no lock table scan).';

CREATE OR REPLACE FUNCTION note_dataset_locked(p_dataset integer) RETURNS void
LANGUAGE sql VOLATILE
AS $$
    -- tkpdb.locked_datasets: ',3,7,' (transaction-local: it ends with the transaction, and a
    -- rolled-back savepoint restores it)
    SELECT set_config('tkpdb.locked_datasets',
                      coalesce(nullif(current_setting('tkpdb.locked_datasets', true), ''), ',')
                      || p_dataset || ',', true)
    WHERE NOT dataset_locked(p_dataset);
$$;
COMMENT ON FUNCTION note_dataset_locked(integer) IS
    'Record that this transaction holds a lock of the dataset (read by dataset_locked()).';

-- ---------------------------------------------------------------------------------------
-- Frequency bands and sky regions

CREATE OR REPLACE FUNCTION get_band(p_dataset integer, p_freq_eff double precision,
                                    p_freq_bw double precision)
RETURNS integer
LANGUAGE plpgsql VOLATILE
AS $$
-- The image covers [freq_eff -/+ w/2], w = freq_bw, or the dataset's band_tolerance when
-- freq_bw is 0 or NULL. It joins the band whose [freq_low, freq_high] strictly overlaps that
-- range (TraP's rule) or, when one of the two has zero width, contains it (so images without a
-- bandwidth at one frequency share a band); when several do, the largest overlap, then the
-- nearest freq_central, then the oldest band. Otherwise: a new band centred on freq_eff.
DECLARE
    w constant double precision := CASE WHEN p_freq_bw > 0 THEN p_freq_bw
        ELSE (SELECT d.band_tolerance FROM dataset d WHERE d.id = p_dataset) END;
    lo constant double precision := p_freq_eff - coalesce(w, 0.0) / 2.0;
    hi constant double precision := p_freq_eff + coalesce(w, 0.0) / 2.0;
    band_id integer;
BEGIN
    SELECT fb.id INTO band_id
    FROM frequencyband fb
    WHERE fb.dataset = p_dataset
      AND (greatest(hi, fb.freq_high) - least(lo, fb.freq_low) < (hi - lo) + (fb.freq_high - fb.freq_low)
           OR ((hi = lo OR fb.freq_high = fb.freq_low) AND lo <= fb.freq_high AND fb.freq_low <= hi))
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
    'The frequency band (id) of an image at freq_eff with bandwidth freq_bw (Hz; 0 or NULL: the '
    'dataset''s band_tolerance): the best overlapping band of the dataset, else a new one.';

CREATE OR REPLACE FUNCTION in_skyregion(p_centre spoint, p_xtr_radius double precision, p_pos spoint)
RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN (p_centre <-> p_pos) <= radians(p_xtr_radius);
COMMENT ON FUNCTION in_skyregion(spoint, double precision, spoint) IS
    'Whether a position lies in the sky region of this centre and radius (deg, up to 180): the '
    'one membership test of the engine.';

CREATE OR REPLACE FUNCTION skyregions_containing(p_dataset integer, p_pos spoint)
RETURNS TABLE (id integer, centre spoint)
LANGUAGE sql STABLE PARALLEL SAFE
AS $$
    -- regions of at most 90 deg through their GiST index, larger ones (no scircle) through
    -- their partial index; both tested exactly by in_skyregion()
    SELECT s.id, s.centre FROM skyregion s
    WHERE s.dataset = p_dataset AND s.region @> p_pos AND in_skyregion(s.centre, s.xtr_radius, p_pos)
    UNION ALL
    SELECT s.id, s.centre FROM skyregion s
    WHERE s.dataset = p_dataset AND s.region IS NULL AND in_skyregion(s.centre, s.xtr_radius, p_pos)
$$;
COMMENT ON FUNCTION skyregions_containing(integer, spoint) IS
    'The sky regions of a dataset that contain a position (index probes, any radius up to 180 deg).';

CREATE OR REPLACE FUNCTION get_skyregion(p_dataset integer, p_centre_ra double precision,
                                         p_centre_decl double precision, p_xtr_radius double precision)
RETURNS integer
LANGUAGE plpgsql VOLATILE
AS $$
-- An existing region with exactly this centre and radius (deg), or a new one; a new region
-- is linked at once to the dataset's blind runcats inside it (never to monitored runcats).
-- The runcats are found through the zones index on their anchor (runcat_zone_search,
-- 05_zones.sql, within xtr_radius + runcat_anchor_margin(): any radius up to 180 deg), then
-- tested exactly on their weighted-mean position (in_skyregion).
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
    WHERE s.id = rgn_id AND in_skyregion(s.centre, s.xtr_radius, rc.pos);
    RETURN rgn_id;
END
$$;
COMMENT ON FUNCTION get_skyregion(integer, double precision, double precision, double precision) IS
    'The sky region (id) with exactly this centre and radius (deg, up to 180), else a new one '
    'linked to the blind runcats inside it.';

-- ---------------------------------------------------------------------------------------
-- Images

CREATE OR REPLACE FUNCTION image_refusal(
    p_dataset integer, p_taustart_ts timestamp, p_tau_time double precision,
    p_freq_eff double precision, p_freq_bw double precision,
    p_rb_smaj double precision, p_rb_smin double precision, p_rb_pa double precision,
    p_centre_ra double precision, p_centre_decl double precision, p_xtr_radius double precision,
    p_rms_min double precision DEFAULT NULL, p_rms_max double precision DEFAULT NULL,
    p_detection_thresh double precision DEFAULT NULL, p_analysis_thresh double precision DEFAULT NULL,
    p_stokes smallint DEFAULT 1, p_url text DEFAULT NULL)
RETURNS text
LANGUAGE plpgsql STABLE
AS $$
-- Why insert_image would refuse this image (NULL: it would not). The rules, one per field
-- (units: deg, Hz, s, Jy; NaN and infinities fail every range, as PostgreSQL orders NaN above
-- every number): a finite start time, no earlier than the latest image already associated in
-- the dataset; tau_time in (0, 1e15] s; freq_eff in (0, 1e15] Hz; freq_bw NULL, 0 or in
-- [1e-50, 2 freq_eff) Hz; rb_smaj in [1e-50, 90 - runcat_anchor_margin()] deg (the largest
-- beam the spatial index can search), rb_smin in [1e-50, rb_smaj]; rb_pa in [-360, 360];
-- centre_ra in [-1e6, 1e6] (folded into [0, 360) exactly), centre_decl in [-90, 90];
-- xtr_radius in (0, 180];
-- rms_min and rms_max NULL or in [1e-50, 1e15] Jy with rms_min <= rms_max; the thresholds NULL
-- or in (0, 1e15] sigma; Stokes a FITS code (1..4 = I, Q, U, V; -1..-8 circular and linear).
-- The lower bounds of 1e-50 keep every square and inverse square of the association within
-- double precision.
DECLARE
    name constant text := format('image %s of dataset %s',
        coalesce(quote_literal(p_url), 'at ' || coalesce(p_taustart_ts::text, 'NULL')), p_dataset);
    d record;
    bad record;
BEGIN
    SELECT id, dataset_latest_associated(id) AS latest_associated_ts INTO d
    FROM dataset WHERE id = p_dataset;
    IF NOT FOUND THEN
        RETURN format('%s: dataset %s does not exist', name, coalesce(p_dataset::text, 'NULL'));
    END IF;
    SELECT v.field, v.value, v.rule INTO bad
    FROM (VALUES
        (1, 'taustart_ts', p_taustart_ts::text, p_taustart_ts > '-infinity' AND p_taustart_ts < 'infinity',
         'must be a finite timestamp'),
        (2, 'tau_time', p_tau_time::text, p_tau_time > 0 AND p_tau_time <= 1e15,
         'must be in (0, 1e15] s'),
        (3, 'freq_eff', p_freq_eff::text, p_freq_eff > 0 AND p_freq_eff <= 1e15,
         'must be in (0, 1e15] Hz'),
        (4, 'freq_bw', p_freq_bw::text,
         p_freq_bw IS NULL OR p_freq_bw = 0 OR (p_freq_bw >= 1e-50 AND p_freq_bw < 2 * p_freq_eff),
         'must be NULL, 0 or in [1e-50, 2 freq_eff) Hz'),
        (5, 'rb_smaj', p_rb_smaj::text, p_rb_smaj >= 1e-50 AND p_rb_smaj <= 90.0 - runcat_anchor_margin(),
         format('must be in [1e-50, %s] deg (90 deg less runcat_anchor_margin(): the largest beam the '
                'spatial index can search)', 90.0 - runcat_anchor_margin())),
        (6, 'rb_smin', p_rb_smin::text, p_rb_smin >= 1e-50 AND p_rb_smin <= p_rb_smaj,
         'must be in [1e-50, rb_smaj] deg'),
        (7, 'rb_pa', p_rb_pa::text, p_rb_pa >= -360 AND p_rb_pa <= 360, 'must be in [-360, 360] deg'),
        (8, 'centre_ra', p_centre_ra::text, p_centre_ra >= -1e6 AND p_centre_ra <= 1e6,
         'must be in [-1e6, 1e6] deg (folded into [0, 360))'),
        (9, 'centre_decl', p_centre_decl::text, p_centre_decl >= -90 AND p_centre_decl <= 90,
         'must be in [-90, 90] deg'),
        (10, 'xtr_radius', p_xtr_radius::text, p_xtr_radius > 0 AND p_xtr_radius <= 180,
         'must be in (0, 180] deg'),
        (11, 'rms_min', p_rms_min::text, p_rms_min IS NULL OR (p_rms_min >= 1e-50 AND p_rms_min <= 1e15),
         'must be NULL or in [1e-50, 1e15] Jy'),
        (12, 'rms_max', p_rms_max::text, p_rms_max IS NULL OR (p_rms_max >= 1e-50 AND p_rms_max <= 1e15),
         'must be NULL or in [1e-50, 1e15] Jy'),
        (13, 'rms_max', p_rms_max::text, p_rms_max IS NULL OR p_rms_min IS NULL OR p_rms_min <= p_rms_max,
         format('must not be below rms_min = %s', p_rms_min)),
        (14, 'detection_thresh', p_detection_thresh::text,
         p_detection_thresh IS NULL OR (p_detection_thresh > 0 AND p_detection_thresh <= 1e15),
         'must be NULL or in (0, 1e15] sigma'),
        (15, 'analysis_thresh', p_analysis_thresh::text,
         p_analysis_thresh IS NULL OR (p_analysis_thresh > 0 AND p_analysis_thresh <= 1e15),
         'must be NULL or in (0, 1e15] sigma'),
        (16, 'stokes', p_stokes::text, p_stokes BETWEEN 1 AND 4 OR p_stokes BETWEEN -8 AND -1,
         'must be a FITS Stokes code (1..4 for I, Q, U, V; -1..-8 for RR..YX)'),
        (17, 'taustart_ts', p_taustart_ts::text,
         d.latest_associated_ts IS NULL OR p_taustart_ts >= d.latest_associated_ts,
         format('is earlier than %s, the start of an image already associated in the dataset '
                '(images are associated in time order)', d.latest_associated_ts))
    ) AS v(k, field, value, ok, rule)
    WHERE v.ok IS NOT TRUE
    ORDER BY v.k
    LIMIT 1;
    IF FOUND THEN
        RETURN format('%s: field %L = %s %s', name, bad.field, coalesce(bad.value, 'NULL'), bad.rule);
    END IF;
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION image_refusal(integer, timestamp, double precision, double precision, double precision,
    double precision, double precision, double precision, double precision, double precision,
    double precision, double precision, double precision, double precision, double precision,
    smallint, text) IS
    'Why insert_image would refuse an image (the image, the field, its value and the rule), or NULL.';

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
-- An image image_refusal() refuses raises invalid_parameter_value (22023) and writes nothing.
DECLARE
    image_id integer;
    refusal text;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM dataset WHERE id = p_dataset) THEN
        RAISE EXCEPTION 'insert_image: dataset % does not exist', p_dataset;
    END IF;
    PERFORM dataset_lock(p_dataset);
    -- checked under the lock: no association of the dataset can move its time watermark now
    refusal := image_refusal(p_dataset, p_taustart_ts, p_tau_time, p_freq_eff, p_freq_bw,
                             p_rb_smaj, p_rb_smin, p_rb_pa, p_centre_ra, p_centre_decl,
                             p_xtr_radius, p_rms_min, p_rms_max, p_detection_thresh,
                             p_analysis_thresh, p_stokes, p_url);
    IF refusal IS NOT NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value', MESSAGE = refusal;
    END IF;
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
    'Register an image (deg, Hz, s, Jy) with its band and sky region; returns its id. Refuses '
    '(invalid_parameter_value) what image_refusal() names.';

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
    SELECT 'assocxtrsource.f_int (differs from its share of the extraction''s)', count(*)
    FROM assocxtrsource a
    JOIN extractedsource x ON x.id = a.xtrsrc
    WHERE a.f_int IS DISTINCT FROM x.f_int * a.flux_fraction
    UNION ALL
    -- every blind extraction of an associated image is in a lightcurve (50_new_sources.sql)
    SELECT 'extractedsource (blind, of an associated image, in no lightcurve)', count(*)
    FROM association_log l
    JOIN extractedsource x ON x.image = l.image AND x.extract_type = 0
    WHERE NOT EXISTS (SELECT FROM assocxtrsource a WHERE a.xtrsrc = x.id);
$$;
COMMENT ON FUNCTION check_integrity() IS
    'Dangling references in the tables whose integrity the engine keeps and blind extractions '
    'of associated images in no lightcurve (expected: all 0). '
    'Scans whole tables: a DBA check, not for the hot path (check_catalogue() checks more).';
