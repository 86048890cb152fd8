-- 60_transient_candidates.sql: stage 6 of association, decide which new sources are transient
-- candidates (newsource rows).
--
-- Reads:  assocxtrsource (type 4 rows of the image), assocskyrgn, image (earlier images of the
--         same band and Stokes in those sky regions), rejection.
-- Writes: newsource.
-- Invariant: a new source is a candidate only if an earlier, non-rejected image of its band and
--            Stokes covered its position and its peak flux exceeds what that image could have
--            detected.
--
-- For each earlier image p: low = p.rms_min * (p.detection_thresh + margin) and
-- high = p.rms_max * (p.detection_thresh + margin) (Jy). Images with a NULL rms_min, rms_max or
-- detection_thresh give no limit and are skipped. Over all earlier images covering the source:
--   * type 0 (possibly transient): f_peak > min(low);
--   * type 1 (likely transient):   f_peak > min(high), i.e. it would have been seen even at the
--     worst noise level of the image whose worst noise level is lowest.
-- TraP took `high` from the image that minimised `low`; here each limit is the strongest one.
-- previous_limits_image is the image giving min(high) for type 1 and min(low) for type 0;
-- ties go to the latest image, then the highest id.
-- The limits are computed once per sky region (not once per source), through the
-- (skyrgn, band, stokes, taustart_ts) index; each new source then takes the strongest of each
-- limit over its regions in one grouping.

CREATE OR REPLACE FUNCTION assoc_transient_candidates(p_image integer,
                                                      p_sigma_margin double precision)
RETURNS integer
LANGUAGE plpgsql VOLATILE
SET jit = off  -- compiling costs more than this statement runs: see 80_associate_image.sql
AS $$
DECLARE
    n integer;
BEGIN
    PERFORM assoc_stage_guard(p_image, 'assoc_transient_candidates');   -- 07_stage_guards.sql
    WITH this AS (
        SELECT id, band, stokes, taustart_ts FROM image WHERE id = p_image
    ), fresh AS MATERIALIZED (
        -- the new sources of the image with their sky regions, driven from the image's
        -- extractions, each link and region read by index (OFFSET 0 keeps every probe a probe
        -- whatever the statistics say: a hash join would read the whole link table)
        SELECT a.runcat, x.id AS xtrsrc, x.f_peak, s.skyrgn
        FROM extractedsource x
        CROSS JOIN LATERAL (SELECT a.runcat FROM assocxtrsource a
                            WHERE a.xtrsrc = x.id AND a.type = 4 OFFSET 0) a
        CROSS JOIN LATERAL (SELECT s.skyrgn FROM assocskyrgn s
                            WHERE s.runcat = a.runcat OFFSET 0) s
        WHERE x.image = p_image AND x.extract_type = 0
    ), regions AS (
        SELECT DISTINCT skyrgn FROM fresh
    ), limits AS (
        SELECT r.skyrgn, p.id AS image, p.taustart_ts,
               p.rms_min * (p.detection_thresh + p_sigma_margin) AS low,
               p.rms_max * (p.detection_thresh + p_sigma_margin) AS high
        FROM regions r
        CROSS JOIN this
        JOIN image p ON p.skyrgn = r.skyrgn AND p.band = this.band AND p.stokes = this.stokes
                    AND p.taustart_ts < this.taustart_ts
        WHERE p.rms_min IS NOT NULL AND p.rms_max IS NOT NULL AND p.detection_thresh IS NOT NULL
          AND NOT EXISTS (SELECT FROM rejection j WHERE j.image = p.id)
    ), region_low AS (
        SELECT DISTINCT ON (skyrgn) skyrgn, image, low, taustart_ts
        FROM limits ORDER BY skyrgn, low, taustart_ts DESC, image DESC
    ), region_high AS (
        SELECT DISTINCT ON (skyrgn) skyrgn, image, high, taustart_ts
        FROM limits ORDER BY skyrgn, high, taustart_ts DESC, image DESC
    ), region_limits AS (
        -- one row per sky region (a handful): both limits with their images
        SELECT l.skyrgn, l.image AS low_image, l.low, l.taustart_ts AS low_ts,
               h.image AS high_image, h.high, h.taustart_ts AS high_ts
        FROM region_low l JOIN region_high h USING (skyrgn)
    ), best AS (
        -- per new source, over its sky regions, the strongest of each limit in one grouping
        -- (joining two per-source sets instead would be quadratic under a nested loop, which
        -- the planner picks when it believes the image has one row)
        SELECT f.runcat, min(f.xtrsrc) AS xtrsrc, min(f.f_peak) AS f_peak,
               min(r.low) AS low,
               (array_agg(r.low_image ORDER BY r.low, r.low_ts DESC, r.low_image DESC))[1] AS low_image,
               min(r.high) AS high,
               (array_agg(r.high_image ORDER BY r.high, r.high_ts DESC, r.high_image DESC))[1] AS high_image
        FROM fresh f
        JOIN region_limits r ON r.skyrgn = f.skyrgn
        GROUP BY f.runcat
    )
    INSERT INTO newsource (runcat, trigger_xtrsrc, previous_limits_image, newsource_type)
    SELECT runcat, xtrsrc,
           CASE WHEN f_peak > high THEN high_image ELSE low_image END,
           CASE WHEN f_peak > high THEN 1 ELSE 0 END
    FROM best
    WHERE f_peak > low;
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN n;
END
$$;
COMMENT ON FUNCTION assoc_transient_candidates(integer, double precision) IS
    'Stage 6: newsource rows (type 0 or 1) for the new sources of the image; returns their number.';
