-- 80_associate_image.sql: the association of one image's blind extractions, all stages in order.
--
-- Reads/writes: everything the stages 10..70 read and write.
-- Invariant: runs inside the caller's transaction (one image, one transaction: any error undoes
--            every stage); calls whose sky areas overlap are serialized by sky_area_lock()
--            (06_sky_area_lock.sql), calls on disjoint areas of one dataset (the tiles of an
--            epoch) run side by side; an image is associated at most once, in time order; the
--            stages check this contract (07_stage_guards.sql) and are internal: only this entry
--            point is granted (99_privileges.sql).
--
-- The stages, in order (each a function of its own file, reading the set of the previous):
--   candidate set (10) -> many-to-many (20), or in the resolved mode the resolution of the
--   candidate graph (25) -> forks (30) -> one-to-one and many-to-one (40), both with flux
--   division when asked (35) -> new sources (50) -> transient candidates (60) -> events log
--   (93) -> cleanup (70).
--
-- Modes: 'trap' (the default) follows TraP's rules, lightcurve for lightcurve; 'resolved'
-- (25_resolved.sql) keeps each true source in one lightcurve on a crowded sky and in surveys
-- whose beams differ. flux_division: 'none', 'equal' or 'flux' (35_flux_division.sql); NULL
-- means 'none' in the trap mode and 'flux' in the resolved mode. Both are recorded per image
-- in association_log.
-- The variability state (view varmetric) is written by the linking stages themselves, in
-- the flux row they update (assoc_store_flux, 40_one_to_one.sql).
--
--   SELECT * FROM associate_image(42, 5.68, 1.0, 3.0);
--   SELECT * FROM associate_image(42, mode => 'resolved');

CREATE OR REPLACE FUNCTION associate_image(
    p_image integer,
    deruiter_radius double precision DEFAULT 5.68,
    beamwidths_limit double precision DEFAULT 1.0,
    new_source_sigma_margin double precision DEFAULT 3.0,
    mode text DEFAULT 'trap',
    flux_division text DEFAULT NULL,
    OUT one_to_one integer, OUT one_to_many integer, OUT many_to_one integer,
    OUT many_to_many_pruned integer, OUT new_sources integer,
    OUT new_transient_candidates integer, OUT candidates integer, OUT stage_ms jsonb)
LANGUAGE plpgsql VOLATILE
-- Plan every statement for this very image: a generic plan would estimate an image's rows
-- from the average over all images and could read a whole table for a small image.
SET plan_cache_mode = force_custom_plan
-- No JIT: an image's statements run in milliseconds, but estimates made without fresh
-- statistics (the scratch table is always empty when ANALYZE sees it) often exceed
-- jit_above_cost, and compiling then took 0.2-0.6 s per statement (measured, 10,000 sources).
SET jit = off
AS $$
DECLARE
    ds integer;
    t0 timestamptz := clock_timestamp();
    t  timestamptz;
    ms jsonb := '{}';
BEGIN
    -- NULL, NaN, infinite, out of range: refused (07_stage_guards.sql, with the stage contract)
    PERFORM assoc_check_parameters(deruiter_radius, beamwidths_limit, new_source_sigma_margin);
    IF mode IS NULL OR mode NOT IN ('trap', 'resolved') THEN
        RAISE EXCEPTION 'associate_image: mode must be ''trap'' or ''resolved'' (got %)',
            coalesce(quote_literal(mode), 'NULL');
    END IF;
    flux_division := coalesce(flux_division, CASE mode WHEN 'resolved' THEN 'flux' ELSE 'none' END);
    IF flux_division NOT IN ('none', 'equal', 'flux') THEN
        RAISE EXCEPTION 'associate_image: flux_division must be ''none'', ''equal'' or ''flux'' (got %)',
            quote_literal(flux_division);
    END IF;
    SELECT dataset INTO ds FROM image WHERE id = p_image;
    IF ds IS NULL THEN
        RAISE EXCEPTION 'associate_image: image % does not exist', p_image;
    END IF;
    PERFORM assoc_scratch();
    PERFORM sky_area_lock(p_image, beamwidths_limit);
    IF EXISTS (SELECT FROM extractedsource x JOIN assocxtrsource a ON a.xtrsrc = x.id
               WHERE x.image = p_image AND x.extract_type = 0) THEN
        RAISE EXCEPTION 'associate_image: image % is already associated', p_image;
    END IF;

    t := clock_timestamp();
    candidates := assoc_candidates(p_image, deruiter_radius, beamwidths_limit);
    ms := ms || jsonb_build_object('candidates', extract(epoch FROM clock_timestamp() - t) * 1000);
    t := clock_timestamp();
    IF mode = 'resolved' THEN
        many_to_many_pruned := assoc_resolve(p_image, deruiter_radius, beamwidths_limit);
    ELSE
        many_to_many_pruned := assoc_prune_many_to_many(p_image);
    END IF;
    ms := ms || jsonb_build_object('many_to_many', extract(epoch FROM clock_timestamp() - t) * 1000);
    t := clock_timestamp();
    one_to_many := assoc_one_to_many(p_image, flux_division);
    ms := ms || jsonb_build_object('one_to_many', extract(epoch FROM clock_timestamp() - t) * 1000);
    t := clock_timestamp();
    SELECT o.one_to_one, o.many_to_one INTO one_to_one, many_to_one FROM assoc_one_to_one(p_image, flux_division) o;
    ms := ms || jsonb_build_object('one_to_one', extract(epoch FROM clock_timestamp() - t) * 1000);
    t := clock_timestamp();
    new_sources := assoc_new_sources(p_image);
    ms := ms || jsonb_build_object('new_sources', extract(epoch FROM clock_timestamp() - t) * 1000);
    t := clock_timestamp();
    new_transient_candidates := assoc_transient_candidates(p_image, new_source_sigma_margin);
    ms := ms || jsonb_build_object('transient_candidates', extract(epoch FROM clock_timestamp() - t) * 1000);
    t := clock_timestamp();
    PERFORM assoc_record_events(p_image, candidates, one_to_one, one_to_many, many_to_one,
                                many_to_many_pruned, new_sources, new_transient_candidates,
                                mode, flux_division);
    ms := ms || jsonb_build_object('record_events', extract(epoch FROM clock_timestamp() - t) * 1000);
    t := clock_timestamp();
    PERFORM assoc_cleanup(p_image);
    ms := ms || jsonb_build_object('cleanup', extract(epoch FROM clock_timestamp() - t) * 1000,
                                   'total', extract(epoch FROM clock_timestamp() - t0) * 1000);
    stage_ms := ms;
END
$$;
COMMENT ON FUNCTION associate_image(integer, double precision, double precision, double precision, text, text) IS
    'Associate the blind extractions of one image with the running catalogue of its dataset '
    '(De Ruiter radius, search radius in restoring-beam semi-major axes, new-source sigma margin, '
    'mode ''trap'' or ''resolved'', flux division ''none'', ''equal'' or ''flux'' (NULL: the mode''s)). '
    'Returns the counts of each outcome and the time of each stage (ms).';
