-- 06_sky_area_lock.sql: which associations may run at the same time (a lock per sky area).
--
-- Reads:  image, skyregion, extractedsource (the image's blind extractions), pg_locks (only to
--         name the holder when a wait times out).
-- Writes: nothing; takes advisory transaction locks.
-- Invariant: two associations of one dataset run at the same time only when the sky areas they
--            can read or write are disjoint; everything else that writes a dataset (registering
--            an image, forced fits, monitoring, deleting) excludes every association of it.
--
-- What an association touches: the runcats whose anchors lie within L + runcat_anchor_margin()
-- of one of its blind extractions (L = beamwidths_limit * rb_smaj), the runcats it creates at
-- extraction positions, forks and means of those (inside the same circles); everything else
-- it writes is keyed by the image (links, logs) or read-only during association (sky regions,
-- bands, earlier images). All of it lies inside the circle around the image's region centre
-- of radius d + L + margin, d the largest distance of a blind extraction from the centre
-- (computed from the extractions: a row outside xtr_radius still counts).
--
-- The circle is covered by cells of a fixed grid: declination zones of 1 deg, each cut in RA
-- into cells about 1 deg wide (fewer towards the poles), 41,000 cells on the sky. An
-- association holds its cells' locks exclusively until it commits, so two overlapping images
-- serialize (any point they share lies in a cell both lock) and the tiles of one epoch, which
-- do not overlap, associate side by side. A large image would need thousands of locks; above
-- 64 fine cells it takes the cells of a coarse grid (10 deg) exclusively instead, and a small
-- image takes its coarse cells in shared mode beside its fine cells (multi-granularity
-- locking): a large and a small image that overlap conflict on the coarse cell, two small ones
-- only on fine cells. Cells are taken in ascending key order (no deadlock between two
-- associations), after a shared lock on the dataset (writers of the whole dataset take it
-- exclusively: dataset_lock() in 02_images.sql).
--
-- Lock keys: 64-bit advisory keys (dataset << 32) | (level << 30) | (zone << 16) | cell, level
-- 0 fine, 1 coarse; the dataset lock is the two-key advisory lock (1952805748, dataset).
-- Waiting is bounded: after lock_timeout (tkpdb.lock_timeout, default 60 s) the call fails
-- with an error naming the image, the dataset and the pid of a session holding the area.

CREATE OR REPLACE FUNCTION sky_lock_cells(p_ra double precision, p_decl double precision,
                                          p_radius double precision, p_height double precision)
RETURNS TABLE (zone integer, cell integer)
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
    -- zone z covers declinations [-90 + z h, -90 + (z + 1) h); it has n cells of 360 / n deg
    -- of RA, n = 360 cos(decl nearest the equator in the zone) / h (at least 1)
    SELECT DISTINCT z.z, CASE WHEN g.a >= 180.0 OR c.last - c.first + 1 >= z.n THEN k
                              ELSE ((k % z.n) + z.n) % z.n END
    FROM (SELECT greatest(floor((p_decl - p_radius + 90.0) / p_height), 0)::integer AS z0,
                 least(floor((p_decl + p_radius + 90.0) / p_height),
                       ceil(180.0 / p_height) - 1)::integer AS z1,
                 alpha(p_radius, p_decl) AS a) g
    CROSS JOIN LATERAL (
        SELECT z, greatest(1, floor(360.0 / p_height * cos(radians(
                   CASE WHEN -90.0 + z * p_height <= 0.0 AND -90.0 + (z + 1) * p_height >= 0.0 THEN 0.0
                        ELSE least(abs(-90.0 + z * p_height), abs(-90.0 + (z + 1) * p_height)) END))))::integer AS n
        FROM generate_series(g.z0, g.z1) z
    ) z
    CROSS JOIN LATERAL (
        SELECT floor((p_ra - g.a) / (360.0 / z.n))::integer AS first,
               floor((p_ra + g.a) / (360.0 / z.n))::integer AS last
    ) c
    CROSS JOIN LATERAL generate_series(
        CASE WHEN g.a >= 180.0 OR c.last - c.first + 1 >= z.n THEN 0 ELSE c.first END,
        CASE WHEN g.a >= 180.0 OR c.last - c.first + 1 >= z.n THEN z.n - 1 ELSE c.last END) k
$$;
COMMENT ON FUNCTION sky_lock_cells(double precision, double precision, double precision, double precision) IS
    'Cells (zone, cell) of the lock grid with zones of p_height deg that a circle of radius p_radius '
    '(deg) around (ra, decl) touches (a superset near the poles).';

CREATE OR REPLACE FUNCTION sky_area_lock(p_image integer, p_beamwidths_limit double precision)
RETURNS integer
LANGUAGE plpgsql VOLATILE
AS $$
-- Take the locks of the sky area the image's association works in (see the file header);
-- returns the number of cell locks taken (0 for an image without blind extractions, which
-- takes the dataset lock only).
DECLARE
    img record;
    reach double precision;
    fine bigint[];
    coarse bigint[];
    exclusive bigint[];
    shared bigint[];
    wait text := coalesce(nullif(current_setting('tkpdb.lock_timeout', true), ''), '60s');
    before text := current_setting('lock_timeout');
    holder integer;
BEGIN
    SELECT i.dataset, s.centre_ra, s.centre_decl, s.centre, p_beamwidths_limit * i.rb_smaj AS search
    INTO img
    FROM image i JOIN skyregion s ON s.id = i.skyrgn WHERE i.id = p_image;
    SELECT max(degrees(spoint(radians(x.ra), radians(x.decl)) <-> img.centre)) INTO reach
    FROM extractedsource x WHERE x.image = p_image AND x.extract_type = 0;
    IF reach IS NOT NULL THEN
        reach := reach + img.search + runcat_anchor_margin() + 1e-6;
        SELECT array_agg((img.dataset::bigint << 32) | (zone::bigint << 16) | cell ORDER BY 1)
        INTO fine FROM sky_lock_cells(img.centre_ra, img.centre_decl, reach, 1.0);
        SELECT array_agg((img.dataset::bigint << 32) | (1::bigint << 30) | (zone::bigint << 16) | cell
                         ORDER BY 1)
        INTO coarse FROM sky_lock_cells(img.centre_ra, img.centre_decl, reach, 10.0);
        IF cardinality(fine) <= 64 THEN
            exclusive := fine;
            shared := coarse;
        ELSE
            exclusive := coarse;
            shared := '{}';
        END IF;
    END IF;
    PERFORM set_config('lock_timeout', wait, true);
    BEGIN
        PERFORM pg_advisory_xact_lock_shared(1952805748, img.dataset);
        PERFORM pg_advisory_xact_lock_shared(k) FROM unnest(shared) k ORDER BY k;
        PERFORM pg_advisory_xact_lock(k) FROM unnest(exclusive) k ORDER BY k;
    EXCEPTION WHEN lock_not_available THEN
        SELECT l.pid INTO holder FROM pg_locks l
        WHERE l.locktype = 'advisory' AND l.granted AND l.pid <> pg_backend_pid()
          AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
          AND ((l.objsubid = 1 AND ((l.classid::bigint << 32) | l.objid::bigint)
                                   = ANY (coalesce(exclusive, '{}') || coalesce(shared, '{}')))
               OR (l.objsubid = 2 AND l.classid = 1952805748 AND l.objid = img.dataset))
        ORDER BY l.pid LIMIT 1;
        RAISE EXCEPTION 'associate_image: image %: its sky area in dataset % is held by another '
                        'session (pid %) for longer than lock_timeout %', p_image, img.dataset,
                        coalesce(holder::text, 'unknown'), wait
              USING ERRCODE = 'lock_not_available',
                    HINT = 'Overlapping images of one dataset associate one after the other; '
                           'set tkpdb.lock_timeout to wait longer.';
    END;
    PERFORM set_config('lock_timeout', before, true);
    PERFORM note_dataset_locked(img.dataset);   -- for the stage guards (07_stage_guards.sql)
    RETURN coalesce(cardinality(exclusive), 0);
END
$$;
COMMENT ON FUNCTION sky_area_lock(integer, double precision) IS
    'Lock the sky area (cells of a 1-deg or 10-deg grid) that associating the image can touch, '
    'after a shared lock on its dataset; bounded wait (tkpdb.lock_timeout, default 60 s). Returns '
    'the number of cells locked exclusively.';
