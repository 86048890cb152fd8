-- 91_cone_search.sql: cone search on measurements (ad hoc, not used by association).
--
-- Reads:  skyregion (GiST on (dataset, region)), image (by sky region), extractedsource (the
--         measurements of each image whose region overlaps the cone, by image).
-- Writes: nothing.
-- Invariant: returns every measurement within radius of the position whose image's extraction
--            region (centre, xtr_radius) overlaps the cone, nearest first.
--
-- Why no positional index on extractedsource: no stage needs one, and a GiST index on
-- spoint(ra, decl) cost 45-80 ms of the 105-157 ms binary COPY of a 10,000-source image
-- (every association would pay for a query only a DBA makes). This path needs no index of
-- its own: the sky regions say which images can hold a measurement there, and each of those
-- images is read through extractedsource_image. Its cost is the number of measurements of the
-- images covering the position (about 1 us each): fine for a field observed a few hundred
-- times, slow for a deep field. Where cone searches on measurements are frequent, a DBA can
-- add a B-tree on the declination zone and RA (CREATE INDEX extractedsource_zone ON
-- extractedsource (zone, ra)), a few microseconds per loaded row, and query it by zone and
-- RA range as runcat_zone_search() does; for lightcurves near a position, runcat_cone()
-- (05_zones.sql) is the fast path.

CREATE OR REPLACE FUNCTION extractedsource_cone(p_ra double precision, p_decl double precision,
                                                p_radius double precision,
                                                p_dataset integer DEFAULT NULL)
RETURNS TABLE (xtrsrc bigint, image integer, ra double precision, decl double precision,
               f_peak double precision, f_int double precision, extract_type smallint,
               distance_arcsec double precision)
LANGUAGE sql STABLE
AS $$
    WITH here AS (
        SELECT spoint(radians(ra_norm(p_ra)), radians(p_decl)) AS c,
               scircle(spoint(radians(ra_norm(p_ra)), radians(p_decl)), radians(p_radius)) AS cone
    )
    SELECT x.id, x.image, x.ra, x.decl, x.f_peak, x.f_int, x.extract_type,
           3600.0 * degrees(spoint(radians(x.ra), radians(x.decl)) <-> here.c)
    FROM here
    JOIN skyregion s ON s.region && here.cone AND (p_dataset IS NULL OR s.dataset = p_dataset)
    JOIN image i ON i.skyrgn = s.id
    CROSS JOIN LATERAL (SELECT x.* FROM extractedsource x
                        WHERE x.image = i.id
                          AND x.decl BETWEEN p_decl - p_radius AND p_decl + p_radius
                          AND spoint(radians(x.ra), radians(x.decl)) <@ here.cone
                        OFFSET 0) x
    ORDER BY 8, 1
$$;
COMMENT ON FUNCTION extractedsource_cone(double precision, double precision, double precision, integer) IS
    'Measurements within radius (deg) of (ra, decl), of one dataset or all, nearest first '
    '(distance in arcsec); reads the measurements of the images whose regions overlap the cone.';
