-- 07_stage_guards.sql: the contract every association stage checks before it runs.
--
-- Reads:  image, dataset, association_log, temprunningcatalog (one index probe each), and two
--         transaction-local settings: tkpdb.locked_datasets (written by dataset_lock(),
--         02_images.sql) and tkpdb.assoc_image (written here).
-- Writes: tkpdb.assoc_image only (set_config(..., true): it ends with the transaction, and a
--         rolled-back savepoint restores it).
-- Invariant: a stage writes only inside one association call: the call took the dataset lock
--            in this transaction, found no scratch rows of its image when it began (so every
--            temprunningcatalog row of the image is its own), and, for blind association, the
--            image was not associated before and starts no earlier than the dataset's latest
--            associated image. Each check is O(1) or one index probe.
--
-- The stages (assoc_candidates ... assoc_cleanup, assoc_insert_links, assoc_store_flux,
-- assoc_record_events, and the resolved mode's assoc_resolve, assoc_resolve_evidence,
-- assoc_divide_flux, assoc_rescale_pairs) are internal: EXECUTE is granted to no role
-- (99_privileges.sql); users call associate_image, associate_nulldetections and
-- associate_monitored. The guards below stop a stage that runs outside those entry points even
-- for the owner or a superuser: they protect against mistakes, the privileges against misuse.

CREATE OR REPLACE FUNCTION assoc_check_parameters(p_deruiter_radius double precision,
                                                  p_beamwidths_limit double precision,
                                                  p_sigma_margin double precision)
RETURNS void
LANGUAGE plpgsql IMMUTABLE
AS $$
-- NaN passes every "> 0" test of PostgreSQL's float order (NaN sorts above all numbers), so
-- each range is written with an upper bound too.
BEGIN
    IF NOT (p_deruiter_radius > 0 AND p_deruiter_radius < 'Infinity') THEN
        RAISE EXCEPTION 'associate_image: deruiter_radius must be > 0 and finite (got %)',
            coalesce(p_deruiter_radius::text, 'NULL');
    END IF;
    IF NOT (p_beamwidths_limit >= 1e-50 AND p_beamwidths_limit <= 1e15) THEN
        RAISE EXCEPTION 'associate_image: beamwidths_limit must be > 0 and finite, in [1e-50, 1e15] '
            '(got %)', coalesce(p_beamwidths_limit::text, 'NULL');
    END IF;
    IF NOT (p_sigma_margin >= -1e15 AND p_sigma_margin <= 1e15) THEN
        RAISE EXCEPTION 'associate_image: new_source_sigma_margin must be finite, in [-1e15, 1e15] '
            '(got %)', coalesce(p_sigma_margin::text, 'NULL');
    END IF;
END
$$;
COMMENT ON FUNCTION assoc_check_parameters(double precision, double precision, double precision) IS
    'Refuse NULL, NaN, infinite or out-of-range association parameters (De Ruiter radius, search '
    'radius in beam semi-major axes, new-source sigma margin) with a message naming the parameter.';

CREATE OR REPLACE FUNCTION assoc_open(p_image integer, p_caller text)
RETURNS integer
LANGUAGE plpgsql VOLATILE
AS $$
-- Begin one association call of an image: the dataset lock must be held by this transaction
-- and the image must have no scratch rows (they would be another call's). Returns the
-- dataset; records the image in tkpdb.assoc_image for the stages that follow.
DECLARE
    ds integer;
    running constant text := coalesce(current_setting('tkpdb.assoc_image', true), '');
BEGIN
    SELECT dataset INTO ds FROM image WHERE id = p_image;
    IF ds IS NULL THEN
        RAISE EXCEPTION '%: image % does not exist', p_caller, coalesce(p_image::text, 'NULL');
    END IF;
    IF NOT dataset_locked(ds) THEN
        RAISE EXCEPTION '%: this transaction does not hold the lock of dataset % (image %): the '
            'stages run only inside associate_image, associate_nulldetections or associate_monitored',
            p_caller, ds, p_image;
    END IF;
    IF running <> '' THEN
        RAISE EXCEPTION '%: the association of image % is still in progress in this transaction',
            p_caller, running;
    END IF;
    IF EXISTS (SELECT FROM temprunningcatalog t WHERE t.image = p_image) THEN
        RAISE EXCEPTION '%: image % has scratch rows left by another call in temprunningcatalog; they '
            'are never used (a DBA removes them: DELETE FROM temprunningcatalog WHERE image = %)',
            p_caller, p_image, p_image;
    END IF;
    PERFORM set_config('tkpdb.assoc_image', p_image::text, true);
    RETURN ds;
END
$$;
COMMENT ON FUNCTION assoc_open(integer, text) IS
    'Begin an association call of an image (dataset lock held, no scratch rows of the image); '
    'returns its dataset.';

CREATE OR REPLACE FUNCTION assoc_begin(p_image integer, p_deruiter_radius double precision,
                                       p_beamwidths_limit double precision)
RETURNS void
LANGUAGE plpgsql VOLATILE
SET enable_seqscan = off   -- key probes only, whatever the statistics of association_log say
AS $$
-- The checks of blind association (stage 1): its parameters, assoc_open, then the image is not associated yet,
-- starts no earlier than the latest associated image of its dataset, and its search radius
-- (beamwidths_limit x rb_smaj, plus the anchor margin) fits pgSphere's 90 deg circles.
DECLARE
    ds constant integer := assoc_open(p_image, 'assoc_candidates');
    img record;
BEGIN
    PERFORM assoc_check_parameters(p_deruiter_radius, p_beamwidths_limit, 0.0);
    SELECT i.rb_smaj, i.taustart_ts, dataset_latest_associated(i.dataset) AS latest_associated_ts
    INTO img FROM image i WHERE i.id = p_image;
    IF EXISTS (SELECT FROM association_log l WHERE l.image = p_image) THEN
        RAISE EXCEPTION 'associate_image: image % is already associated', p_image;
    END IF;
    IF img.taustart_ts < img.latest_associated_ts THEN
        RAISE EXCEPTION 'associate_image: image % starts at %, before %, the start of an image already '
            'associated in dataset %: images are associated in time order', p_image, img.taustart_ts,
            img.latest_associated_ts, ds;
    END IF;
    IF NOT (p_beamwidths_limit * img.rb_smaj + runcat_anchor_margin() <= 90.0) THEN
        RAISE EXCEPTION 'associate_image: beamwidths_limit % x rb_smaj % = % deg is too large a search '
            'radius: with runcat_anchor_margin() it must not exceed 90 deg', p_beamwidths_limit,
            img.rb_smaj, p_beamwidths_limit * img.rb_smaj;
    END IF;
END
$$;
COMMENT ON FUNCTION assoc_begin(integer, double precision, double precision) IS
    'Begin the blind association of an image: the checks of assoc_open, not associated yet, time '
    'order, search radius within 90 deg.';

CREATE OR REPLACE FUNCTION assoc_stage_guard(p_image integer, p_stage text)
RETURNS void
LANGUAGE plpgsql STABLE
AS $$
BEGIN
    IF coalesce(current_setting('tkpdb.assoc_image', true), '') IS DISTINCT FROM p_image::text THEN
        RAISE EXCEPTION '%: internal stage of the association, run only by associate_image, '
            'associate_nulldetections or associate_monitored (image %)', p_stage,
            coalesce(p_image::text, 'NULL');
    END IF;
END
$$;
COMMENT ON FUNCTION assoc_stage_guard(integer, text) IS
    'Refuse to run a stage unless an association call of this image began in this transaction (O(1)).';

CREATE OR REPLACE FUNCTION assoc_close(p_image integer)
RETURNS void
LANGUAGE plpgsql VOLATILE
AS $$
BEGIN
    PERFORM assoc_stage_guard(p_image, 'assoc_cleanup');
    PERFORM set_config('tkpdb.assoc_image', '', true);
END
$$;
COMMENT ON FUNCTION assoc_close(integer) IS 'End the association call of an image (after its cleanup).';
