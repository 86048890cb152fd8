-- 92_varmetric.sql: the varmetric table (one row per lightcurve) kept current by every
-- association call, for the lightcurves that call changed, from a small incremental state
-- per lightcurve and band (varmetric_band).
--
-- Reads:  extractedsource and assocxtrsource (the measurements of one image and their links),
--         image, runningcatalog_flux (f_datapoints, to check the state is in step), newsource;
--         the whole lightcurve only of a runcat seen for the first time (new source, fork
--         child) or whose state is out of step.
-- Writes: varmetric_band and varmetric: insert or update of the rows of exactly the runcats
--         linked to a measurement of the image; no other row.
-- Invariant: after the association of an image (blind, forced fits or monitoring: each calls
--            assoc_update_varmetric at its end), the varmetric row of every runcat linked to a
--            measurement of that image describes its lightcurve as it is now, and its
--            varmetric_band rows hold, per band and Stokes, n = the number of its measurements
--            (equal to runningcatalog_flux.f_datapoints), their f_int sorted and the latest
--            one. A runcat the image did not touch keeps its rows (its lightcurve did not
--            change): there is never a whole-dataset rebuild (TraP deleted and rebuilt every
--            row of the dataset per timestep, trap-semantics 5.4 item 7). A second call for the
--            same image changes nothing (the state is in step, n = f_datapoints).
--
-- Which measurement's V and eta are reported (v_int, eta_int, band):
--   the latest measurement of the lightcurve (largest taustart_ts); among measurements at that
--   same time (other bands, or overlapping images), the highest f_int, then the highest
--   freq_eff, then the highest extraction id. The order is total, so a repeated flux value
--   (equal fluxes at two epochs, or in two bands at one time) can never select two rows.
--   TraP took the latest time per band, the maximum f_int among those, and joined back to
--   "an assoc with that f_int", which matched several rows and failed when a flux repeated.
--   In a survey that images every band at each timestep both rules pick the same row; when a
--   band was not observed at the latest timestep, ours reports the latest measurement instead
--   of a stale brighter one.
-- lightcurve_max / lightcurve_avg / lightcurve_median (Jy): max, mean and median (the mean of
--   the two middle values for an even count) of f_int over the runcat's measurements in the
--   band and Stokes of that measurement, every extraction type included (NULL f_int ignored).
-- newsource: the runcat's newsource id; sigma_rms_max / sigma_rms_min = f_peak of the trigger
--   extraction / rms_max (resp. rms_min) of its previous_limits_image (dimensionless). Peak flux,
--   not TraP's f_int: it is the flux the transient-candidate test (60_*.sql) compares with
--   rms * (detection threshold + margin), so sigma_rms_max > threshold + margin <=> type 1.
--
-- Cost. max and mean are easy to keep incrementally; an exact median needs every value of
-- the lightcurve in the band. Reading the lightcurve of each touched runcat at each image
-- (assocxtrsource -> extractedsource -> image, all by index) costs O(lightcurve length) per
-- touched runcat, and in a steady field every runcat is touched by every image: a
-- whole-dataset read per image, TraP's problem again. Measured with 100 sources detected in
-- each of 500 consecutive images (PostgreSQL 15, 2 cores, VACUUM ANALYZE every 25 images,
-- median of the last 10 images; method in docs/transients-and-lightcurves.md), that version
-- took 112 ms per image at image 500 (2.2 us per measurement read; 209 ms without the
-- vacuums), growing linearly, against ~14 ms for all the other stages of the association.
-- Instead each (runcat, band, Stokes) keeps its f_int values as a sorted array: the new
-- value goes in at the rank found by binary search (width_bucket) and the median is read at
-- the middle, so an image reads and writes one small row per touched runcat and band
-- (O(log n) search plus an O(n) in-memory copy, no per-measurement lookups). The full
-- lightcurve is read only for a runcat met for the first time (a new source: one point; a
-- fork child: the parent's history, once) or whose state is out of step with
-- runningcatalog_flux.f_datapoints (self-repair). Same benchmark: 4 ms per image at image
-- 100, 7 ms at image 500 and 9 ms at image 1000 (the slow growth is the O(n) copy of the
-- 4-8 kB array); with 2000 sources, 50-60 ms per image at image 10 (25-30 us per touched
-- runcat) against 110-140 ms for the other stages. (The machine was shared: +-30 %.)
-- The price: 8 bytes per measurement stored a second time (the array, TOASTed out of line
-- without compression), one array rewrite (dead TOAST chunks for autovacuum) per touched
-- runcat per image, and this extra table to keep in step (n = f_datapoints is checked on
-- every touch and repaired from the lightcurve when it is not).
-- The table varmetric_band is created with the others in 01_schema.sql. Its runcat is an
-- engine-kept reference (no foreign key: the check cost ~10 us per new lightcurve, as much as
-- writing its row): forks (30_one_to_many.sql) and delete_dataset() delete the state with the
-- runcat, and check_integrity() watches it.

CREATE OR REPLACE FUNCTION assoc_update_varmetric(p_image integer)
RETURNS integer
LANGUAGE plpgsql VOLATILE
SET jit = off  -- compiling costs more than this statement runs: see 80_associate_image.sql
AS $$
DECLARE
    n_rows integer;
BEGIN
    PERFORM assoc_stage_guard(p_image, 'assoc_update_varmetric');   -- 05_stage_guards.sql
    -- 1. varmetric_band. Each link of a measurement of the image, with the state of its
    --    runcat's band: in step before this image with one new measurement (n = f_datapoints
    --    - 1): the f_int goes in at its rank (binary search) and the latest measurement is
    --    kept; already in step (a repeated call): nothing; anything else (a runcat with no
    --    state yet, i.e. a new source or a fork child: every band; a band without state, or out
    --    of step with runningcatalog_flux): built from the lightcurve.
    WITH links AS MATERIALIZED (
        SELECT a.runcat, x.id AS xtrsrc, x.f_int, i.band, i.stokes, i.taustart_ts, i.freq_eff,
               count(*) OVER (PARTITION BY a.runcat) AS k
        FROM image i
        JOIN extractedsource x ON x.image = i.id
        CROSS JOIN LATERAL (SELECT a.runcat FROM assocxtrsource a WHERE a.xtrsrc = x.id OFFSET 0) a
        WHERE i.id = p_image
    ), state AS MATERIALIZED (
        -- every lookup an index probe per link (LATERAL ... OFFSET 0): a hash join or a
        -- hashed sub-plan would read whole tables, growing with the catalogue
        SELECT l.*, b.n, b.tid, f.f_datapoints,
               (l.k = 1 AND b.n = f.f_datapoints - 1) AS one_more,
               (b.tid IS NOT NULL OR seen.hit) IS TRUE AS seen,
               (l.taustart_ts, coalesce(l.f_int, '-infinity'), l.freq_eff, l.xtrsrc)
               > (b.latest_ts, coalesce(b.latest_f_int, '-infinity'), b.latest_freq, b.latest_xtrsrc)
               AS newer
        FROM links l
        LEFT JOIN LATERAL (SELECT b.ctid AS tid, b.* FROM varmetric_band b
                           WHERE b.runcat = l.runcat AND b.band = l.band AND b.stokes = l.stokes
                           OFFSET 0) b ON true
        LEFT JOIN LATERAL (SELECT f.f_datapoints FROM runningcatalog_flux f
                           WHERE f.runcat = l.runcat AND f.band = l.band AND f.stokes = l.stokes
                           OFFSET 0) f ON true
        -- any band of the runcat has state: asked only when this band has none
        LEFT JOIN LATERAL (SELECT true AS hit FROM varmetric_band s
                           WHERE b.tid IS NULL AND s.runcat = l.runcat LIMIT 1) seen ON true
    ), incremental AS (
        UPDATE varmetric_band b
        SET n = b.n + 1,
            f_int_sorted = CASE WHEN s.f_int IS NULL THEN b.f_int_sorted
                                ELSE b.f_int_sorted[1:width_bucket(s.f_int, b.f_int_sorted)]
                                     || s.f_int
                                     || b.f_int_sorted[width_bucket(s.f_int, b.f_int_sorted) + 1:]
                                END,
            f_int_sum = CASE WHEN s.f_int IS NULL THEN b.f_int_sum
                             ELSE coalesce(b.f_int_sum, 0.0) + s.f_int END,
            latest_ts = CASE WHEN s.newer THEN s.taustart_ts ELSE b.latest_ts END,
            latest_f_int = CASE WHEN s.newer THEN s.f_int ELSE b.latest_f_int END,
            latest_freq = CASE WHEN s.newer THEN s.freq_eff ELSE b.latest_freq END,
            latest_xtrsrc = CASE WHEN s.newer THEN s.xtrsrc ELSE b.latest_xtrsrc END
        FROM state s
        -- the rows to update by the tuple ids read in this statement: one TID probe each
        WHERE s.one_more AND b.ctid = s.tid
    ), rebuild AS (
        SELECT runcat, CASE WHEN seen THEN band END AS band, CASE WHEN seen THEN stokes END AS stokes
        FROM state
        WHERE NOT seen OR n IS NULL OR f_datapoints IS NULL
           OR (n <> f_datapoints AND NOT one_more)
    ), points AS (
        SELECT a.runcat, i.band, i.stokes, x.f_int, i.taustart_ts, i.freq_eff, a.xtrsrc,
               row_number() OVER (PARTITION BY a.runcat, i.band, i.stokes
                                  ORDER BY i.taustart_ts DESC, x.f_int DESC NULLS LAST,
                                           i.freq_eff DESC, a.xtrsrc DESC) AS rank
        -- driven from the runcats to rebuild, each lightcurve read by index once (a runcat is
        -- either new, band NULL: every band, or seen, one row per band to rebuild); a
        -- correlated probe of the rebuild set per point would be quadratic in new runcats
        FROM (SELECT DISTINCT runcat, band, stokes FROM rebuild) r
        CROSS JOIN LATERAL (SELECT a.runcat, a.xtrsrc FROM assocxtrsource a
                            WHERE a.runcat = r.runcat OFFSET 0) a
        CROSS JOIN LATERAL (SELECT x.image, x.f_int FROM extractedsource x
                            WHERE x.id = a.xtrsrc OFFSET 0) x
        JOIN image i ON i.id = x.image
        WHERE r.band IS NULL OR (r.band = i.band AND r.stokes = i.stokes)
    )
    INSERT INTO varmetric_band AS b (runcat, band, stokes, n, f_int_sorted, f_int_sum,
                                     latest_ts, latest_f_int, latest_freq, latest_xtrsrc)
    SELECT runcat, band, stokes, count(*),
           coalesce(array_agg(f_int ORDER BY f_int) FILTER (WHERE f_int IS NOT NULL), '{}'),
           sum(f_int),
           max(taustart_ts) FILTER (WHERE rank = 1), max(f_int) FILTER (WHERE rank = 1),
           max(freq_eff) FILTER (WHERE rank = 1), max(xtrsrc) FILTER (WHERE rank = 1)
    FROM points
    GROUP BY runcat, band, stokes
    ON CONFLICT (runcat, band, stokes) DO UPDATE
    SET n = excluded.n, f_int_sorted = excluded.f_int_sorted, f_int_sum = excluded.f_int_sum,
        latest_ts = excluded.latest_ts, latest_f_int = excluded.latest_f_int,
        latest_freq = excluded.latest_freq, latest_xtrsrc = excluded.latest_xtrsrc;

    -- 2. varmetric of every touched runcat, from its latest band. The newsource lookup is one
    --    index probe per runcat (OFFSET 0 keeps it a per-row probe whatever the estimates).
    WITH touched AS MATERIALIZED (
        SELECT DISTINCT a.runcat
        FROM extractedsource x
        CROSS JOIN LATERAL (SELECT a.runcat FROM assocxtrsource a WHERE a.xtrsrc = x.id OFFSET 0) a
        WHERE x.image = p_image
    ), latest AS (
        SELECT DISTINCT ON (b.runcat) b.runcat, b.band, b.latest_xtrsrc, b.f_int_sum,
               b.f_int_sorted AS v, cardinality(b.f_int_sorted) AS m
        FROM touched t
        CROSS JOIN LATERAL (SELECT * FROM varmetric_band b WHERE b.runcat = t.runcat OFFSET 0) b
        ORDER BY b.runcat, b.latest_ts DESC, b.latest_f_int DESC NULLS LAST, b.latest_freq DESC,
                 b.latest_xtrsrc DESC
    )
    INSERT INTO varmetric AS vm (runcat, v_int, eta_int, band, newsource,
                                 sigma_rms_max, sigma_rms_min,
                                 lightcurve_max, lightcurve_avg, lightcurve_median)
    SELECT l.runcat, a.v_int, a.eta_int, l.band, ns.id, ns.sigma_rms_max, ns.sigma_rms_min,
           l.v[l.m], l.f_int_sum / nullif(l.m, 0),
           CASE WHEN l.m % 2 = 1 THEN l.v[(l.m + 1) / 2]
                ELSE (l.v[l.m / 2] + l.v[l.m / 2 + 1]) / 2.0 END
    FROM latest l
    CROSS JOIN LATERAL (SELECT a.v_int, a.eta_int FROM assocxtrsource a
                        WHERE a.runcat = l.runcat AND a.xtrsrc = l.latest_xtrsrc OFFSET 0) a
    LEFT JOIN LATERAL (
        SELECT ns.id, tx.f_peak / nullif(pi.rms_max, 0.0) AS sigma_rms_max,
               tx.f_peak / nullif(pi.rms_min, 0.0) AS sigma_rms_min
        FROM newsource ns
        JOIN extractedsource tx ON tx.id = ns.trigger_xtrsrc
        JOIN image pi ON pi.id = ns.previous_limits_image
        WHERE ns.runcat = l.runcat
        OFFSET 0
    ) ns ON true
    ON CONFLICT (runcat) DO UPDATE
    SET v_int = excluded.v_int, eta_int = excluded.eta_int, band = excluded.band,
        newsource = excluded.newsource,
        sigma_rms_max = excluded.sigma_rms_max, sigma_rms_min = excluded.sigma_rms_min,
        lightcurve_max = excluded.lightcurve_max, lightcurve_avg = excluded.lightcurve_avg,
        lightcurve_median = excluded.lightcurve_median;
    GET DIAGNOSTICS n_rows = ROW_COUNT;
    RETURN n_rows;
END
$$;
COMMENT ON FUNCTION assoc_update_varmetric(integer) IS
    'Bring varmetric_band and varmetric up to date for the runcats linked to a measurement of the '
    'image (V, eta and band of the latest measurement; max, mean, median f_int (Jy) in that band; '
    'newsource significance f_peak/rms). Returns the number of varmetric rows written.';

COMMENT ON TABLE varmetric IS 'One row per lightcurve, kept current by every association call '
    '(assoc_update_varmetric): V and eta of its latest measurement, lightcurve statistics of '
    'f_int in that band and its newsource significance.';
COMMENT ON COLUMN varmetric.v_int IS 'V of f_int after the latest measurement (ties: highest f_int, then freq_eff, then extraction id).';
COMMENT ON COLUMN varmetric.eta_int IS 'eta of f_int after the same measurement as v_int.';
COMMENT ON COLUMN varmetric.band IS 'Band of that measurement; the lightcurve_* columns are over this band and its Stokes.';
COMMENT ON COLUMN varmetric.sigma_rms_max IS 'Trigger f_peak / rms_max of the previous-limits image (dimensionless); NULL if not a new source.';
COMMENT ON COLUMN varmetric.sigma_rms_min IS 'Trigger f_peak / rms_min of the previous-limits image (dimensionless); NULL if not a new source.';
COMMENT ON COLUMN varmetric.lightcurve_max IS 'Largest f_int (Jy) in the band.';
COMMENT ON COLUMN varmetric.lightcurve_avg IS 'Mean f_int (Jy) in the band.';
COMMENT ON COLUMN varmetric.lightcurve_median IS 'Median f_int (Jy) in the band (mean of the two middle values for an even count).';
