-- 03_load_checks.sql: which measurements an image may take, checked when they are loaded
-- (tkpdb.insert_extracted_sources, before its COPY) and again when forced fits are associated
-- (associate_nulldetections, associate_monitored: rows a DBA inserted with plain SQL).
--
-- Reads:  image, association_log, extractedsource (the image's rows, by index),
--         assocxtrsource (the links of the image's blind rows), runningcatalog and monitor (by
--         primary key).
-- Writes: nothing.
-- Invariant (the rules):
--   * blind rows (extract_type 0) go into an image that is not associated yet: loaded later
--     they would belong to no lightcurve;
--   * forced fits at null detections (1) go into an associated image whose forced fits are not
--     associated yet; each names a blind runcat of the image's dataset, at most once per image,
--     and never a runcat the image detected blindly (that would count the image twice);
--   * monitoring fits (2) go into an image whose monitoring fits are not associated yet; each
--     names a monitor of the image's dataset, at most once per image, and lies within one
--     restoring-beam semi-major axis (rb_smaj) of the monitored position (the first fit places
--     the monitored runcat).
-- Every check is driven by the image (its rows by the extractedsource_image index) or by key.

CREATE OR REPLACE FUNCTION load_refusal(p_image integer, p_extract_type smallint)
RETURNS text
LANGUAGE sql STABLE
AS $$
    SELECT CASE
        WHEN i.id IS NULL THEN format('image %s does not exist', coalesce(p_image::text, 'NULL'))
        WHEN p_extract_type = 0 AND l.image IS NOT NULL THEN
            format('image %s is already associated: blind rows loaded now would be in no lightcurve '
                   '(load an image''s blind rows before associate_image)', p_image)
        WHEN p_extract_type = 1 AND l.image IS NULL THEN
            format('image %s is not associated yet: forced fits at null detections are loaded after '
                   'its blind association (see get_nulldetections)', p_image)
        WHEN p_extract_type IN (1, 2) AND EXISTS (
                SELECT FROM extractedsource x
                CROSS JOIN LATERAL (SELECT FROM assocxtrsource a WHERE a.xtrsrc = x.id LIMIT 1) a
                WHERE x.image = p_image AND x.extract_type = p_extract_type) THEN
            format('image %s: its %s are already associated', p_image,
                   CASE p_extract_type WHEN 1 THEN 'forced fits at null detections'
                                       ELSE 'monitoring fits' END)
        END
    FROM (SELECT p_image AS wanted) w
    LEFT JOIN image i ON i.id = w.wanted
    LEFT JOIN association_log l ON l.image = i.id
$$;
COMMENT ON FUNCTION load_refusal(integer, smallint) IS
    'Why an image cannot take measurements of this extract_type (0 blind, 1 null-detection fit, '
    '2 monitoring fit) now, or NULL.';

CREATE OR REPLACE FUNCTION forced_fit_refusals(p_image integer, p_extract_type smallint,
                                               p_refs integer[],
                                               p_ra double precision[] DEFAULT NULL,
                                               p_decl double precision[] DEFAULT NULL,
                                               p_stored boolean DEFAULT false)
RETURNS TABLE (k integer, reason text)
LANGUAGE sql STABLE
AS $$
    -- p_refs[k + 1] is the ff_runcat (extract_type 1) or ff_monitor (2) of fit k (0-based),
    -- p_ra / p_decl its position (deg; needed for monitoring fits). p_stored: the fits are the
    -- image's stored rows (associate_*), else a batch about to be loaded next to them.
    WITH img AS (
        SELECT id, dataset, rb_smaj FROM image WHERE id = p_image
    ), fits AS (
        SELECT u.ref, u.ra, u.decl, (u.k - 1)::integer AS k,
               count(*) OVER (PARTITION BY u.ref) AS copies
        FROM unnest(p_refs, p_ra, p_decl) WITH ORDINALITY AS u(ref, ra, decl, k)
        WHERE u.k <= cardinality(p_refs)
    ), detected AS MATERIALIZED (
        -- the runcats the image detected blindly, from its own rows
        SELECT DISTINCT ON (a.runcat) a.runcat, x.id AS xtrsrc
        FROM extractedsource x
        CROSS JOIN LATERAL (SELECT a.runcat FROM assocxtrsource a WHERE a.xtrsrc = x.id OFFSET 0) a
        WHERE p_extract_type = 1 AND x.image = p_image AND x.extract_type = 0
        ORDER BY a.runcat, x.id
    ), prior AS MATERIALIZED (
        SELECT DISTINCT CASE WHEN p_extract_type = 1 THEN x.ff_runcat ELSE x.ff_monitor END AS ref
        FROM extractedsource x
        WHERE NOT p_stored AND x.image = p_image AND x.extract_type = p_extract_type
    ), judged AS (
    SELECT f.k, CASE
        WHEN f.ref IS NULL THEN
            format('%s is missing', CASE p_extract_type WHEN 1 THEN 'ff_runcat' ELSE 'ff_monitor' END)
        WHEN p_extract_type = 1 AND rc.id IS NULL THEN format('ff_runcat %s does not exist', f.ref)
        WHEN p_extract_type = 1 AND rc.dataset <> img.dataset THEN
            format('ff_runcat %s belongs to dataset %s, not %s', f.ref, rc.dataset, img.dataset)
        WHEN p_extract_type = 1 AND rc.mon_src THEN
            format('ff_runcat %s is a monitored runcat (use associate_monitored)', f.ref)
        WHEN p_extract_type = 1 AND d.runcat IS NOT NULL THEN
            format('ff_runcat %s was detected blindly in image %s (extraction %s): a forced fit would '
                   'count the image twice', f.ref, p_image, d.xtrsrc)
        WHEN p_extract_type = 2 AND m.id IS NULL THEN format('ff_monitor %s does not exist', f.ref)
        WHEN p_extract_type = 2 AND m.dataset <> img.dataset THEN
            format('ff_monitor %s belongs to dataset %s, not %s', f.ref, m.dataset, img.dataset)
        WHEN p_extract_type = 2 AND NOT (degrees(spoint(radians(f.ra), radians(f.decl))
                                                 <-> spoint(radians(m.ra), radians(m.decl)))
                                         <= img.rb_smaj) THEN
            format('the fit at (%s, %s) is %s deg from monitor %s at (%s, %s): more than the image''s '
                   'rb_smaj = %s deg', f.ra, f.decl,
                   round(degrees(spoint(radians(f.ra), radians(f.decl))
                                 <-> spoint(radians(m.ra), radians(m.decl)))::numeric, 6),
                   f.ref, m.ra, m.decl, img.rb_smaj)
        WHEN f.copies > 1 THEN
            format('image %s has several %s of %s %s', p_image,
                   CASE p_extract_type WHEN 1 THEN 'forced fits' ELSE 'fits' END,
                   CASE p_extract_type WHEN 1 THEN 'runcat' ELSE 'monitor' END, f.ref)
        WHEN pr.ref IS NOT NULL THEN
            format('image %s already has a %s of %s %s', p_image,
                   CASE p_extract_type WHEN 1 THEN 'forced fit' ELSE 'fit' END,
                   CASE p_extract_type WHEN 1 THEN 'runcat' ELSE 'monitor' END, f.ref)
        END AS reason
    FROM fits f
    CROSS JOIN img
    LEFT JOIN runningcatalog rc ON p_extract_type = 1 AND rc.id = f.ref
    LEFT JOIN monitor m ON p_extract_type = 2 AND m.id = f.ref
    LEFT JOIN detected d ON d.runcat = f.ref
    LEFT JOIN prior pr ON pr.ref = f.ref
    )
    SELECT k, reason FROM judged WHERE reason IS NOT NULL ORDER BY k
$$;
COMMENT ON FUNCTION forced_fit_refusals(integer, smallint, integer[], double precision[],
                                        double precision[], boolean) IS
    'The forced fits (0-based k) that an image cannot take, with the reason; see the rules in '
    '03_load_checks.sql.';
