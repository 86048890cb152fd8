-- Schema of a tkpdb database at revision 0003 (pg_dump --schema-only --no-owner --no-privileges
-- of the release before revision 0004) and its alembic_version row: the starting point of the
-- upgrade test in tests/test_migrations.py. Never edit: it is what such databases hold.
--
-- PostgreSQL database dump
--


-- Dumped from database version 15.20 (Debian 15.20-0+deb12u1)
-- Dumped by pg_dump version 15.20 (Debian 15.20-0+deb12u1)

SET statement_timeout = 0;
SET lock_timeout = 0;
SET idle_in_transaction_session_timeout = 0;
SET client_encoding = 'UTF8';
SET standard_conforming_strings = on;
SELECT pg_catalog.set_config('search_path', '', false);
SET check_function_bodies = false;
SET xmloption = content;
SET client_min_messages = warning;
SET row_security = off;

--
-- Name: btree_gist; Type: EXTENSION; Schema: -; Owner: -
--

CREATE EXTENSION IF NOT EXISTS btree_gist WITH SCHEMA public;


--
-- Name: EXTENSION btree_gist; Type: COMMENT; Schema: -; Owner: -
--

COMMENT ON EXTENSION btree_gist IS 'support for indexing common datatypes in GiST';


--
-- Name: pg_sphere; Type: EXTENSION; Schema: -; Owner: -
--

CREATE EXTENSION IF NOT EXISTS pg_sphere WITH SCHEMA public;


--
-- Name: EXTENSION pg_sphere; Type: COMMENT; Schema: -; Owner: -
--

COMMENT ON EXTENSION pg_sphere IS 'spherical objects with useful functions, operators and index support';


--
-- Name: alpha(double precision, double precision); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.alpha(theta double precision, decl double precision) RETURNS double precision
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN CASE WHEN ((abs(decl) + theta) > (89.9)::double precision) THEN (180.0)::double precision ELSE degrees(abs(atan((sin(radians(theta)) / sqrt(abs((cos(radians((decl - theta))) * cos(radians((decl + theta)))))))))) END;


--
-- Name: FUNCTION alpha(theta double precision, decl double precision); Type: COMMENT; Schema: public; Owner: -
--

COMMENT ON FUNCTION public.alpha(theta double precision, decl double precision) IS 'Half-width in RA (deg) of a circle of radius theta (deg) centred at declination decl (deg); 180 when the circle reaches within 0.1 deg of a pole (TraP alpha(), MSR-TR-2006-52 2.1).';


--
-- Name: assoc_candidates(integer, double precision, double precision); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.assoc_candidates(p_image integer, p_deruiter_radius double precision, p_beamwidths_limit double precision) RETURNS integer
    LANGUAGE plpgsql
    SET jit TO 'off'
    AS $$
DECLARE
    n integer;
BEGIN
    INSERT INTO temprunningcatalog (
        image, runcat, xtrsrc, dataset, band, stokes, distance_arcsec, r,
        datapoints, wm_ra, wm_decl, wm_uncertainty_ew, wm_uncertainty_ns,
        avg_ra_err, avg_decl_err, avg_wra, avg_wdecl, avg_weight_ra, avg_weight_decl,
        f_datapoints,
        avg_f_peak, avg_f_peak_sq, avg_f_peak_weight, avg_weighted_f_peak, avg_weighted_f_peak_sq,
        avg_f_int, avg_f_int_sq, avg_f_int_weight, avg_weighted_f_int, avg_weighted_f_int_sq)
    -- the matching pairs, with their offsets computed once per pair (MATERIALIZED keeps the
    -- planner from substituting the offset expressions into every use in the outer query,
    -- which would evaluate the trigonometry many times per pair)
    WITH p AS MATERIALIZED (
        SELECT i.id AS image, rc.id AS runcat, x.id AS xtrsrc, rc.dataset, i.band, i.stokes,
               3600.0 * degrees(rc.pos <-> spoint(radians(x.ra), radians(x.decl))) AS distance_arcsec,
               dr.r, rc.datapoints, rc.wm_ra, rc.wm_decl, rc.avg_ra_err, rc.avg_decl_err,
               x.ra_err, x.decl_err, x.f_peak, x.f_peak_err, x.f_int, x.f_int_err,
               o.xi * x.uncertainty_ew ^ -2 AS wxi, o.eta * x.uncertainty_ns ^ -2 AS weta,
               rc.datapoints * rc.avg_weight_ra + x.uncertainty_ew ^ -2 AS sum_w_ra,
               rc.datapoints * rc.avg_weight_decl + x.uncertainty_ns ^ -2 AS sum_w_decl
        FROM image i
        JOIN extractedsource x ON x.image = i.id AND x.extract_type = 0
        JOIN runningcatalog rc
          ON rc.dataset = i.dataset AND NOT rc.mon_src
         AND rc.anchor <@ scircle(spoint(radians(x.ra), radians(x.decl)),
                                  radians(p_beamwidths_limit * i.rb_smaj + runcat_anchor_margin()))
         AND rc.pos <@ scircle(spoint(radians(x.ra), radians(x.decl)),
                               radians(p_beamwidths_limit * i.rb_smaj))
        CROSS JOIN LATERAL sky_offsets(rc.wm_ra, rc.wm_decl, x.ra, x.decl) o
        CROSS JOIN LATERAL (SELECT deruiter(o.xi, o.eta, rc.wm_uncertainty_ew, rc.wm_uncertainty_ns,
                                            x.uncertainty_ew, x.uncertainty_ns) AS r) dr
        WHERE i.id = p_image
          AND dr.r < p_deruiter_radius
    )
    SELECT p.image, p.runcat, p.xtrsrc, p.dataset, p.band, p.stokes,
           p.distance_arcsec, p.r,
           p.datapoints + 1, s.ra, s.decl,
           1.0 / sqrt(p.sum_w_ra), 1.0 / sqrt(p.sum_w_decl),
           running_mean(p.datapoints, p.avg_ra_err, p.ra_err),
           running_mean(p.datapoints, p.avg_decl_err, p.decl_err),
           p.sum_w_ra / (p.datapoints + 1) * s.ra,
           p.sum_w_decl / (p.datapoints + 1) * s.decl,
           p.sum_w_ra / (p.datapoints + 1),
           p.sum_w_decl / (p.datapoints + 1),
           coalesce(f.f_datapoints, 0) + 1,
           running_mean(f.f_datapoints, f.avg_f_peak, p.f_peak),
           running_mean(f.f_datapoints, f.avg_f_peak_sq, p.f_peak ^ 2),
           running_mean(f.f_datapoints, f.avg_f_peak_weight, p.f_peak_err ^ -2),
           running_mean(f.f_datapoints, f.avg_weighted_f_peak, p.f_peak * p.f_peak_err ^ -2),
           running_mean(f.f_datapoints, f.avg_weighted_f_peak_sq, p.f_peak ^ 2 * p.f_peak_err ^ -2),
           running_mean(f.f_datapoints, f.avg_f_int, p.f_int),
           running_mean(f.f_datapoints, f.avg_f_int_sq, p.f_int ^ 2),
           running_mean(f.f_datapoints, f.avg_f_int_weight, p.f_int_err ^ -2),
           running_mean(f.f_datapoints, f.avg_weighted_f_int, p.f_int * p.f_int_err ^ -2),
           running_mean(f.f_datapoints, f.avg_weighted_f_int_sq, p.f_int ^ 2 * p.f_int_err ^ -2)
    FROM p
    CROSS JOIN LATERAL sky_shift(p.wm_ra, p.wm_decl, p.wxi / p.sum_w_ra, p.weta / p.sum_w_decl) s
    -- one index probe per pair (OFFSET 0: never a hash join over the whole flux table)
    LEFT JOIN LATERAL (SELECT f.* FROM runningcatalog_flux f
                       WHERE f.runcat = p.runcat AND f.band = p.band AND f.stokes = p.stokes
                       OFFSET 0) f ON true;
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN n;
END
$$;


--
-- Name: FUNCTION assoc_candidates(p_image integer, p_deruiter_radius double precision, p_beamwidths_limit double precision); Type: COMMENT; Schema: public; Owner: -
--

COMMENT ON FUNCTION public.assoc_candidates(p_image integer, p_deruiter_radius double precision, p_beamwidths_limit double precision) IS 'Stage 1: candidate (runcat, extraction) pairs of an image into temprunningcatalog; returns their number.';


--
-- Name: assoc_cleanup(integer); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.assoc_cleanup(p_image integer) RETURNS void
    LANGUAGE sql
    AS $$
    DELETE FROM temprunningcatalog WHERE image = p_image;
$$;


--
-- Name: FUNCTION assoc_cleanup(p_image integer); Type: COMMENT; Schema: public; Owner: -
--

COMMENT ON FUNCTION public.assoc_cleanup(p_image integer) IS 'Last stage: delete the image''s scratch rows.';


--
-- Name: assoc_insert_links(integer, integer); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.assoc_insert_links(p_image integer, p_assoc_type integer) RETURNS void
    LANGUAGE sql
    AS $$
-- Links of the image's active pairs of one type, with the variability indices after the
-- measurement (r and distance_arcsec as stored in the pairs).
    INSERT INTO assocxtrsource (runcat, xtrsrc, type, distance_arcsec, r,
                                v_int, eta_int, f_datapoints, v_peak, eta_peak)
    SELECT runcat, xtrsrc, p_assoc_type, distance_arcsec, r,
           v_index(f_datapoints, avg_f_int, avg_f_int_sq),
           eta_index(f_datapoints, avg_f_int_weight, avg_weighted_f_int, avg_weighted_f_int_sq),
           f_datapoints,
           v_index(f_datapoints, avg_f_peak, avg_f_peak_sq),
           eta_index(f_datapoints, avg_f_peak_weight, avg_weighted_f_peak, avg_weighted_f_peak_sq)
    FROM temprunningcatalog
    WHERE image = p_image AND assoc_type = p_assoc_type AND NOT inactive;
$$;


--
-- Name: FUNCTION assoc_insert_links(p_image integer, p_assoc_type integer); Type: COMMENT; Schema: public; Owner: -
--

COMMENT ON FUNCTION public.assoc_insert_links(p_image integer, p_assoc_type integer) IS 'Insert the links (assocxtrsource) of the image''s active pairs of one assoc type, with V and eta after the measurement.';


--
-- Name: assoc_new_sources(integer); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.assoc_new_sources(p_image integer) RETURNS integer
    LANGUAGE plpgsql
    SET jit TO 'off'
    AS $$
DECLARE
    n integer;
BEGIN
    -- The image's constants are read once; new rows are joined back to their extraction
    -- through the primary key (never CTE to CTE, which has no index).
    WITH img AS (
        SELECT id, dataset, band, stokes, skyrgn FROM image WHERE id = p_image
    ), new_rc AS (
        INSERT INTO runningcatalog (xtrsrc, dataset, datapoints, wm_ra, wm_decl,
                                    wm_uncertainty_ew, wm_uncertainty_ns, avg_ra_err, avg_decl_err,
                                    avg_wra, avg_wdecl, avg_weight_ra, avg_weight_decl,
                                    anchor_ra, anchor_decl)
        SELECT x.id, img.dataset, 1, x.ra, x.decl, x.uncertainty_ew, x.uncertainty_ns,
               x.ra_err, x.decl_err,
               x.ra * x.uncertainty_ew ^ -2, x.decl * x.uncertainty_ns ^ -2,
               x.uncertainty_ew ^ -2, x.uncertainty_ns ^ -2, x.ra, x.decl
        FROM img
        JOIN extractedsource x ON x.image = p_image AND x.extract_type = 0   -- constant: the
                                                  -- planner then uses the image's own statistics
        -- a per-extraction probe of (image, xtrsrc) (LIMIT keeps it one, whatever the
        -- statistics of the scratch table say; an anti-join may rescan the image's pairs)
        LEFT JOIN LATERAL (SELECT true AS matched FROM temprunningcatalog t
                           WHERE t.image = p_image AND t.xtrsrc = x.id LIMIT 1) m ON true
        WHERE m.matched IS NULL
        RETURNING id, xtrsrc, pos
    ), flux AS (
        INSERT INTO runningcatalog_flux (runcat, band, stokes, f_datapoints,
            avg_f_peak, avg_f_peak_sq, avg_f_peak_weight, avg_weighted_f_peak, avg_weighted_f_peak_sq,
            avg_f_int, avg_f_int_sq, avg_f_int_weight, avg_weighted_f_int, avg_weighted_f_int_sq)
        SELECT rc.id, img.band, img.stokes, 1,
               x.f_peak, x.f_peak ^ 2, x.f_peak_err ^ -2, x.f_peak * x.f_peak_err ^ -2,
               x.f_peak ^ 2 * x.f_peak_err ^ -2,
               x.f_int, x.f_int ^ 2, x.f_int_err ^ -2, x.f_int * x.f_int_err ^ -2,
               x.f_int ^ 2 * x.f_int_err ^ -2
        FROM new_rc rc
        CROSS JOIN img
        -- one primary-key probe per new runcat (OFFSET 0: never a hash join that would read
        -- every extraction of the database when the estimate of new_rc is large)
        CROSS JOIN LATERAL (SELECT x.* FROM extractedsource x WHERE x.id = rc.xtrsrc OFFSET 0) x
    ), assoc AS (
        INSERT INTO assocxtrsource (runcat, xtrsrc, type, distance_arcsec, r,
                                    v_int, eta_int, f_datapoints, v_peak, eta_peak)
        SELECT id, xtrsrc, 4, 0, 0, 0, 0, 1, 0, 0 FROM new_rc
    ), sky AS (
        INSERT INTO assocskyrgn (runcat, skyrgn, distance_deg)
        SELECT rc.id, s.id, degrees(rc.pos <-> s.centre)
        FROM new_rc rc
        CROSS JOIN img
        JOIN skyregion s ON s.dataset = img.dataset
                        AND (s.id = img.skyrgn OR s.region @> rc.pos)
    )
    SELECT count(*) INTO n FROM new_rc;
    RETURN n;
END
$$;


--
-- Name: FUNCTION assoc_new_sources(p_image integer); Type: COMMENT; Schema: public; Owner: -
--

COMMENT ON FUNCTION public.assoc_new_sources(p_image integer) IS 'Stage 5: a new runcat (type 4) for every blind extraction of the image without a candidate; returns their number.';


--
-- Name: assoc_one_to_many(integer); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.assoc_one_to_many(p_image integer) RETURNS integer
    LANGUAGE plpgsql
    SET jit TO 'off'
    AS $$
DECLARE
    n_forked integer;
BEGIN
    -- the active pairs of runcats with several active pairs (window count, update by row
    -- address: no self-join of the scratch table, see 20_many_to_many.sql)
    UPDATE temprunningcatalog
    SET assoc_type = 2, new_runcat = nextval(pg_get_serial_sequence('runningcatalog', 'id'))
    WHERE ctid = ANY (ARRAY(
        SELECT row_id FROM (SELECT ctid AS row_id, count(*) OVER (PARTITION BY runcat) AS pairs
                            FROM temprunningcatalog
                            WHERE image = p_image AND NOT inactive) c
        WHERE pairs > 1));

    SELECT count(DISTINCT runcat) INTO n_forked
    FROM temprunningcatalog WHERE image = p_image AND assoc_type = 2;
    IF n_forked = 0 THEN
        RETURN 0;
    END IF;

    INSERT INTO runningcatalog (id, xtrsrc, dataset, datapoints, wm_ra, wm_decl,
                                wm_uncertainty_ew, wm_uncertainty_ns, avg_ra_err, avg_decl_err,
                                avg_wra, avg_wdecl, avg_weight_ra, avg_weight_decl,
                                anchor_ra, anchor_decl)
    SELECT new_runcat, xtrsrc, dataset, datapoints, wm_ra, wm_decl,
           wm_uncertainty_ew, wm_uncertainty_ns, avg_ra_err, avg_decl_err,
           avg_wra, avg_wdecl, avg_weight_ra, avg_weight_decl, wm_ra, wm_decl
    FROM temprunningcatalog
    WHERE image = p_image AND assoc_type = 2;

    -- flux statistics: other bands and Stokes copied, the image's band from the pair
    INSERT INTO runningcatalog_flux (runcat, band, stokes, f_datapoints,
        avg_f_peak, avg_f_peak_sq, avg_f_peak_weight, avg_weighted_f_peak, avg_weighted_f_peak_sq,
        avg_f_int, avg_f_int_sq, avg_f_int_weight, avg_weighted_f_int, avg_weighted_f_int_sq)
    SELECT t.new_runcat, f.band, f.stokes, f.f_datapoints,
           f.avg_f_peak, f.avg_f_peak_sq, f.avg_f_peak_weight, f.avg_weighted_f_peak, f.avg_weighted_f_peak_sq,
           f.avg_f_int, f.avg_f_int_sq, f.avg_f_int_weight, f.avg_weighted_f_int, f.avg_weighted_f_int_sq
    FROM temprunningcatalog t
    JOIN runningcatalog_flux f ON f.runcat = t.runcat AND (f.band, f.stokes) <> (t.band, t.stokes)
    WHERE t.image = p_image AND t.assoc_type = 2
    UNION ALL
    SELECT t.new_runcat, t.band, t.stokes, t.f_datapoints,
           t.avg_f_peak, t.avg_f_peak_sq, t.avg_f_peak_weight, t.avg_weighted_f_peak, t.avg_weighted_f_peak_sq,
           t.avg_f_int, t.avg_f_int_sq, t.avg_f_int_weight, t.avg_weighted_f_int, t.avg_weighted_f_int_sq
    FROM temprunningcatalog t
    WHERE t.image = p_image AND t.assoc_type = 2;

    -- lightcurve: the old history (type 6, values unchanged) and the base point (type 2)
    INSERT INTO assocxtrsource (runcat, xtrsrc, type, distance_arcsec, r, loglr,
                                v_int, eta_int, f_datapoints, v_peak, eta_peak)
    SELECT t.new_runcat, a.xtrsrc, 6, a.distance_arcsec, a.r, a.loglr,
           a.v_int, a.eta_int, a.f_datapoints, a.v_peak, a.eta_peak
    FROM temprunningcatalog t
    JOIN assocxtrsource a ON a.runcat = t.runcat
    WHERE t.image = p_image AND t.assoc_type = 2
    UNION ALL
    SELECT t.new_runcat, t.xtrsrc, 2, t.distance_arcsec, t.r, NULL,
           v_index(t.f_datapoints, t.avg_f_int, t.avg_f_int_sq),
           eta_index(t.f_datapoints, t.avg_f_int_weight, t.avg_weighted_f_int, t.avg_weighted_f_int_sq),
           t.f_datapoints,
           v_index(t.f_datapoints, t.avg_f_peak, t.avg_f_peak_sq),
           eta_index(t.f_datapoints, t.avg_f_peak_weight, t.avg_weighted_f_peak, t.avg_weighted_f_peak_sq)
    FROM temprunningcatalog t
    WHERE t.image = p_image AND t.assoc_type = 2;

    INSERT INTO assocskyrgn (runcat, skyrgn, distance_deg)
    SELECT t.new_runcat, s.skyrgn, s.distance_deg
    FROM temprunningcatalog t
    JOIN assocskyrgn s ON s.runcat = t.runcat
    WHERE t.image = p_image AND t.assoc_type = 2;

    INSERT INTO newsource (runcat, trigger_xtrsrc, previous_limits_image, newsource_type)
    SELECT t.new_runcat, ns.trigger_xtrsrc, ns.previous_limits_image, ns.newsource_type
    FROM temprunningcatalog t
    JOIN newsource ns ON ns.runcat = t.runcat
    WHERE t.image = p_image AND t.assoc_type = 2;

    INSERT INTO varmetric (runcat, v_int, eta_int, band, newsource, sigma_rms_max, sigma_rms_min,
                           lightcurve_max, lightcurve_avg, lightcurve_median)
    SELECT t.new_runcat, vm.v_int, vm.eta_int, vm.band, ns.id, vm.sigma_rms_max, vm.sigma_rms_min,
           vm.lightcurve_max, vm.lightcurve_avg, vm.lightcurve_median
    FROM temprunningcatalog t
    JOIN varmetric vm ON vm.runcat = t.runcat
    LEFT JOIN newsource ns ON ns.runcat = t.new_runcat
    WHERE t.image = p_image AND t.assoc_type = 2;

    -- the old runcats and their dependants (newsource cascades; ff_runcat and monitor.runcat
    -- become NULL through their foreign keys)
    DELETE FROM assocxtrsource a USING temprunningcatalog t
    WHERE t.image = p_image AND t.assoc_type = 2 AND a.runcat = t.runcat;
    DELETE FROM runningcatalog_flux f USING temprunningcatalog t
    WHERE t.image = p_image AND t.assoc_type = 2 AND f.runcat = t.runcat;
    DELETE FROM assocskyrgn s USING temprunningcatalog t
    WHERE t.image = p_image AND t.assoc_type = 2 AND s.runcat = t.runcat;
    DELETE FROM varmetric vm USING temprunningcatalog t
    WHERE t.image = p_image AND t.assoc_type = 2 AND vm.runcat = t.runcat;
    DELETE FROM varmetric_band b USING temprunningcatalog t
    WHERE t.image = p_image AND t.assoc_type = 2 AND b.runcat = t.runcat;
    DELETE FROM runningcatalog rc USING temprunningcatalog t
    WHERE t.image = p_image AND t.assoc_type = 2 AND rc.id = t.runcat;

    RETURN n_forked;
END
$$;


--
-- Name: FUNCTION assoc_one_to_many(p_image integer); Type: COMMENT; Schema: public; Owner: -
--

COMMENT ON FUNCTION public.assoc_one_to_many(p_image integer) IS 'Stage 3: fork every runcat with several active candidate pairs into one runcat per pair; returns the number of runcats forked.';


--
-- Name: assoc_one_to_one(integer); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.assoc_one_to_one(p_image integer, OUT one_to_one integer, OUT many_to_one integer) RETURNS record
    LANGUAGE plpgsql
    SET jit TO 'off'
    AS $$
BEGIN
    -- the pairs still active and not forked in stage 3 (assoc_type keeps its default, 3)
    PERFORM assoc_insert_links(p_image, 3);

    UPDATE runningcatalog rc
    SET datapoints = t.datapoints, wm_ra = t.wm_ra, wm_decl = t.wm_decl,
        wm_uncertainty_ew = t.wm_uncertainty_ew, wm_uncertainty_ns = t.wm_uncertainty_ns,
        avg_ra_err = t.avg_ra_err, avg_decl_err = t.avg_decl_err,
        avg_wra = t.avg_wra, avg_wdecl = t.avg_wdecl,
        avg_weight_ra = t.avg_weight_ra, avg_weight_decl = t.avg_weight_decl,
        forcedfits_count = 0,
        -- re-anchor only a runcat that drifted beyond the margin (else: a HOT update)
        anchor_ra = CASE WHEN rc.anchor_ra IS NULL OR degrees(rc.anchor <-> spoint(radians(t.wm_ra), radians(t.wm_decl)))
                                                     > 0.5 * runcat_anchor_margin()
                         THEN t.wm_ra ELSE rc.anchor_ra END,
        anchor_decl = CASE WHEN rc.anchor_ra IS NULL OR degrees(rc.anchor <-> spoint(radians(t.wm_ra), radians(t.wm_decl)))
                                                       > 0.5 * runcat_anchor_margin()
                           THEN t.wm_decl ELSE rc.anchor_decl END
    FROM temprunningcatalog t
    WHERE t.image = p_image AND t.assoc_type = 3 AND NOT t.inactive AND rc.id = t.runcat;

    PERFORM assoc_store_flux(p_image, 3);

    SELECT count(*) FILTER (WHERE links = 1), count(*) FILTER (WHERE links > 1)
    INTO one_to_one, many_to_one
    FROM (SELECT count(*) AS links FROM temprunningcatalog
          WHERE image = p_image AND assoc_type = 3 AND NOT inactive
          GROUP BY xtrsrc) per_extraction;
END
$$;


--
-- Name: FUNCTION assoc_one_to_one(p_image integer, OUT one_to_one integer, OUT many_to_one integer); Type: COMMENT; Schema: public; Owner: -
--

COMMENT ON FUNCTION public.assoc_one_to_one(p_image integer, OUT one_to_one integer, OUT many_to_one integer) IS 'Stage 4: type 3 links for the remaining active pairs; returns the number of one-to-one links and of extractions that matched several runcats (many-to-one).';


--
-- Name: assoc_prune_many_to_many(integer); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.assoc_prune_many_to_many(p_image integer) RETURNS integer
    LANGUAGE plpgsql
    SET jit TO 'off'
    AS $$
DECLARE
    n integer;
BEGIN
    -- One pass over the image's pairs (window counts), then an update by row address: no
    -- join of the scratch table with itself, so the cost stays O(n log n) whatever the
    -- planner believes about the size of temprunningcatalog (its statistics are usually
    -- those of an empty table).
    WITH counted AS (
        SELECT ctid AS row_id, runcat, xtrsrc, r, distance_arcsec,
               count(*) OVER (PARTITION BY xtrsrc) AS per_extraction,
               count(*) OVER (PARTITION BY runcat) AS per_runcat
        FROM temprunningcatalog
        WHERE image = p_image
    ), ranked AS (
        SELECT c.row_id,
               row_number() OVER (PARTITION BY c.xtrsrc
                                  ORDER BY round(c.r * 1e9), round(c.distance_arcsec * 1e6),
                                           rc.wm_decl, rc.wm_ra, c.runcat) AS rank
        FROM counted c
        JOIN runningcatalog rc ON rc.id = c.runcat
        WHERE c.per_extraction > 1 AND c.per_runcat > 1
    )
    UPDATE temprunningcatalog SET inactive = true
    WHERE ctid = ANY (ARRAY(SELECT row_id FROM ranked WHERE rank > 1));
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN n;
END
$$;


--
-- Name: FUNCTION assoc_prune_many_to_many(p_image integer); Type: COMMENT; Schema: public; Owner: -
--

COMMENT ON FUNCTION public.assoc_prune_many_to_many(p_image integer) IS 'Stage 2: deactivate many-to-many candidate pairs of an image (keep the best link per extraction); returns the number pruned.';


--
-- Name: assoc_record_events(integer, integer, integer, integer, integer, integer, integer, integer); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.assoc_record_events(p_image integer, p_candidates integer, p_one_to_one integer, p_one_to_many integer, p_many_to_one integer, p_many_to_many_pruned integer, p_new_sources integer, p_new_transient_candidates integer) RETURNS void
    LANGUAGE sql
    AS $$
    -- Called by associate_image after the stages and before the cleanup: the forked pairs are
    -- still in temprunningcatalog (assoc_type 2, runcat = the replaced runcat, new_runcat = the
    -- child), and each child's type 6 links are the parent's history.
    INSERT INTO association_log (image, candidates, one_to_one, one_to_many, many_to_one,
                                 many_to_many_pruned, new_sources, new_transient_candidates)
    VALUES (p_image, p_candidates, p_one_to_one, p_one_to_many, p_many_to_one,
            p_many_to_many_pruned, p_new_sources, p_new_transient_candidates)
    -- an image without blind extractions can be associated again (all counts 0)
    ON CONFLICT (image) DO UPDATE
    SET candidates = excluded.candidates, one_to_one = excluded.one_to_one,
        one_to_many = excluded.one_to_many, many_to_one = excluded.many_to_one,
        many_to_many_pruned = excluded.many_to_many_pruned, new_sources = excluded.new_sources,
        new_transient_candidates = excluded.new_transient_candidates;

    INSERT INTO fork_log (runcat, parent_runcat, image, xtrsrc, parent_f_datapoints, parent_avg_f_int)
    SELECT t.new_runcat, t.runcat, p_image, t.xtrsrc,
           count(*) FILTER (WHERE i.band = t.band AND i.stokes = t.stokes),
           avg(x.f_int) FILTER (WHERE i.band = t.band AND i.stokes = t.stokes)
    FROM temprunningcatalog t
    LEFT JOIN assocxtrsource a ON a.runcat = t.new_runcat AND a.type = 6
    LEFT JOIN extractedsource x ON x.id = a.xtrsrc
    LEFT JOIN image i ON i.id = x.image
    WHERE t.image = p_image AND t.assoc_type = 2 AND t.new_runcat IS NOT NULL
    GROUP BY t.new_runcat, t.runcat, t.xtrsrc, t.band, t.stokes;
$$;


--
-- Name: FUNCTION assoc_record_events(p_image integer, p_candidates integer, p_one_to_one integer, p_one_to_many integer, p_many_to_one integer, p_many_to_many_pruned integer, p_new_sources integer, p_new_transient_candidates integer); Type: COMMENT; Schema: public; Owner: -
--

COMMENT ON FUNCTION public.assoc_record_events(p_image integer, p_candidates integer, p_one_to_one integer, p_one_to_many integer, p_many_to_one integer, p_many_to_many_pruned integer, p_new_sources integer, p_new_transient_candidates integer) IS 'Record the counts of an image''s association and its forks (association_log, fork_log).';


--
-- Name: assoc_store_flux(integer, integer); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.assoc_store_flux(p_image integer, p_assoc_type integer) RETURNS void
    LANGUAGE sql
    AS $$
-- Write the flux aggregates of the image's active pairs of one assoc type into runningcatalog_flux
-- (insert a band/Stokes seen for the first time, update otherwise).
    INSERT INTO runningcatalog_flux AS f (runcat, band, stokes, f_datapoints,
        avg_f_peak, avg_f_peak_sq, avg_f_peak_weight, avg_weighted_f_peak, avg_weighted_f_peak_sq,
        avg_f_int, avg_f_int_sq, avg_f_int_weight, avg_weighted_f_int, avg_weighted_f_int_sq)
    SELECT runcat, band, stokes, f_datapoints,
           avg_f_peak, avg_f_peak_sq, avg_f_peak_weight, avg_weighted_f_peak, avg_weighted_f_peak_sq,
           avg_f_int, avg_f_int_sq, avg_f_int_weight, avg_weighted_f_int, avg_weighted_f_int_sq
    FROM temprunningcatalog
    WHERE image = p_image AND assoc_type = p_assoc_type AND NOT inactive
    ON CONFLICT (runcat, band, stokes) DO UPDATE
    SET f_datapoints = excluded.f_datapoints,
        avg_f_peak = excluded.avg_f_peak, avg_f_peak_sq = excluded.avg_f_peak_sq,
        avg_f_peak_weight = excluded.avg_f_peak_weight,
        avg_weighted_f_peak = excluded.avg_weighted_f_peak,
        avg_weighted_f_peak_sq = excluded.avg_weighted_f_peak_sq,
        avg_f_int = excluded.avg_f_int, avg_f_int_sq = excluded.avg_f_int_sq,
        avg_f_int_weight = excluded.avg_f_int_weight,
        avg_weighted_f_int = excluded.avg_weighted_f_int,
        avg_weighted_f_int_sq = excluded.avg_weighted_f_int_sq;
$$;


--
-- Name: FUNCTION assoc_store_flux(p_image integer, p_assoc_type integer); Type: COMMENT; Schema: public; Owner: -
--

COMMENT ON FUNCTION public.assoc_store_flux(p_image integer, p_assoc_type integer) IS 'Insert or update runningcatalog_flux from the image''s active pairs of one assoc type.';


--
-- Name: assoc_transient_candidates(integer, double precision); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.assoc_transient_candidates(p_image integer, p_sigma_margin double precision) RETURNS integer
    LANGUAGE plpgsql
    SET jit TO 'off'
    AS $$
DECLARE
    n integer;
BEGIN
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


--
-- Name: FUNCTION assoc_transient_candidates(p_image integer, p_sigma_margin double precision); Type: COMMENT; Schema: public; Owner: -
--

COMMENT ON FUNCTION public.assoc_transient_candidates(p_image integer, p_sigma_margin double precision) IS 'Stage 6: newsource rows (type 0 or 1) for the new sources of the image; returns their number.';


--
-- Name: assoc_update_varmetric(integer); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.assoc_update_varmetric(p_image integer) RETURNS integer
    LANGUAGE plpgsql
    SET jit TO 'off'
    AS $$
DECLARE
    n_rows integer;
BEGIN
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


--
-- Name: FUNCTION assoc_update_varmetric(p_image integer); Type: COMMENT; Schema: public; Owner: -
--

COMMENT ON FUNCTION public.assoc_update_varmetric(p_image integer) IS 'Bring varmetric_band and varmetric up to date for the runcats linked to a measurement of the image (V, eta and band of the latest measurement; max, mean, median f_int (Jy) in that band; newsource significance f_peak/rms). Returns the number of varmetric rows written.';


--
-- Name: associate_image(integer, double precision, double precision, double precision); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.associate_image(p_image integer, deruiter_radius double precision DEFAULT 5.68, beamwidths_limit double precision DEFAULT 1.0, new_source_sigma_margin double precision DEFAULT 3.0, OUT one_to_one integer, OUT one_to_many integer, OUT many_to_one integer, OUT many_to_many_pruned integer, OUT new_sources integer, OUT new_transient_candidates integer, OUT candidates integer, OUT stage_ms jsonb) RETURNS record
    LANGUAGE plpgsql
    SET plan_cache_mode TO 'force_custom_plan'
    SET jit TO 'off'
    AS $$
DECLARE
    ds integer;
    t0 timestamptz := clock_timestamp();
    t  timestamptz;
    ms jsonb := '{}';
BEGIN
    IF deruiter_radius IS NULL OR deruiter_radius <= 0 THEN
        RAISE EXCEPTION 'associate_image: deruiter_radius must be > 0 (got %)', deruiter_radius;
    END IF;
    IF beamwidths_limit IS NULL OR beamwidths_limit <= 0 THEN
        RAISE EXCEPTION 'associate_image: beamwidths_limit must be > 0 (got %)', beamwidths_limit;
    END IF;
    IF new_source_sigma_margin IS NULL THEN
        RAISE EXCEPTION 'associate_image: new_source_sigma_margin must not be NULL';
    END IF;
    SELECT dataset INTO ds FROM image WHERE id = p_image;
    IF ds IS NULL THEN
        RAISE EXCEPTION 'associate_image: image % does not exist', p_image;
    END IF;
    PERFORM dataset_lock(ds);
    IF EXISTS (SELECT FROM extractedsource x JOIN assocxtrsource a ON a.xtrsrc = x.id
               WHERE x.image = p_image AND x.extract_type = 0) THEN
        RAISE EXCEPTION 'associate_image: image % is already associated', p_image;
    END IF;

    t := clock_timestamp();
    candidates := assoc_candidates(p_image, deruiter_radius, beamwidths_limit);
    ms := ms || jsonb_build_object('candidates', extract(epoch FROM clock_timestamp() - t) * 1000);
    t := clock_timestamp();
    many_to_many_pruned := assoc_prune_many_to_many(p_image);
    ms := ms || jsonb_build_object('many_to_many', extract(epoch FROM clock_timestamp() - t) * 1000);
    t := clock_timestamp();
    one_to_many := assoc_one_to_many(p_image);
    ms := ms || jsonb_build_object('one_to_many', extract(epoch FROM clock_timestamp() - t) * 1000);
    t := clock_timestamp();
    SELECT o.one_to_one, o.many_to_one INTO one_to_one, many_to_one FROM assoc_one_to_one(p_image) o;
    ms := ms || jsonb_build_object('one_to_one', extract(epoch FROM clock_timestamp() - t) * 1000);
    t := clock_timestamp();
    new_sources := assoc_new_sources(p_image);
    ms := ms || jsonb_build_object('new_sources', extract(epoch FROM clock_timestamp() - t) * 1000);
    t := clock_timestamp();
    new_transient_candidates := assoc_transient_candidates(p_image, new_source_sigma_margin);
    ms := ms || jsonb_build_object('transient_candidates', extract(epoch FROM clock_timestamp() - t) * 1000);
    t := clock_timestamp();
    PERFORM assoc_update_varmetric(p_image);
    ms := ms || jsonb_build_object('varmetric', extract(epoch FROM clock_timestamp() - t) * 1000);
    t := clock_timestamp();
    PERFORM assoc_record_events(p_image, candidates, one_to_one, one_to_many, many_to_one,
                                many_to_many_pruned, new_sources, new_transient_candidates);
    ms := ms || jsonb_build_object('record_events', extract(epoch FROM clock_timestamp() - t) * 1000);
    t := clock_timestamp();
    PERFORM assoc_cleanup(p_image);
    ms := ms || jsonb_build_object('cleanup', extract(epoch FROM clock_timestamp() - t) * 1000,
                                   'total', extract(epoch FROM clock_timestamp() - t0) * 1000);
    stage_ms := ms;
END
$$;


--
-- Name: FUNCTION associate_image(p_image integer, deruiter_radius double precision, beamwidths_limit double precision, new_source_sigma_margin double precision, OUT one_to_one integer, OUT one_to_many integer, OUT many_to_one integer, OUT many_to_many_pruned integer, OUT new_sources integer, OUT new_transient_candidates integer, OUT candidates integer, OUT stage_ms jsonb); Type: COMMENT; Schema: public; Owner: -
--

COMMENT ON FUNCTION public.associate_image(p_image integer, deruiter_radius double precision, beamwidths_limit double precision, new_source_sigma_margin double precision, OUT one_to_one integer, OUT one_to_many integer, OUT many_to_one integer, OUT many_to_many_pruned integer, OUT new_sources integer, OUT new_transient_candidates integer, OUT candidates integer, OUT stage_ms jsonb) IS 'Associate the blind extractions of one image with the running catalogue of its dataset (De Ruiter radius, search radius in restoring-beam semi-major axes, new-source sigma margin). Returns the counts of each outcome and the time of each stage (ms).';


--
-- Name: associate_monitored(integer); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.associate_monitored(p_image integer, OUT first_fits integer, OUT later_fits integer) RETURNS record
    LANGUAGE plpgsql
    SET jit TO 'off'
    SET plan_cache_mode TO 'force_custom_plan'
    AS $$
-- Link the image's monitoring forced fits (extract_type 2) to their monitored runcats: type 9
-- for a position fitted before, otherwise a new mon_src runcat and type 8.
DECLARE
    ds integer;
    bad record;
BEGIN
    SELECT dataset INTO ds FROM image WHERE id = p_image;
    IF ds IS NULL THEN
        RAISE EXCEPTION 'associate_monitored: image % does not exist', p_image;
    END IF;
    PERFORM dataset_lock(ds);
    IF EXISTS (SELECT FROM extractedsource x JOIN assocxtrsource a ON a.xtrsrc = x.id
               WHERE x.image = p_image AND x.extract_type = 2) THEN
        RAISE EXCEPTION 'associate_monitored: the monitoring fits of image % are already associated',
            p_image;
    END IF;
    SELECT x.id, x.ff_monitor, m.dataset INTO bad
    FROM extractedsource x LEFT JOIN monitor m ON m.id = x.ff_monitor
    WHERE x.image = p_image AND x.extract_type = 2 AND (m.id IS NULL OR m.dataset <> ds)
    ORDER BY x.id LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'associate_monitored: extraction % of image %: ff_monitor % %', bad.id,
            p_image, bad.ff_monitor,
            CASE WHEN bad.dataset IS NULL THEN 'does not exist'
                 ELSE format('belongs to dataset %s, not %s', bad.dataset, ds) END;
    END IF;
    SELECT x.ff_monitor INTO bad FROM extractedsource x
    WHERE x.image = p_image AND x.extract_type = 2
    GROUP BY x.ff_monitor HAVING count(*) > 1 LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'associate_monitored: image % has several fits of monitor %',
            p_image, bad.ff_monitor;
    END IF;

    -- later fits (type 9): one more datapoint, position unchanged
    INSERT INTO temprunningcatalog (
        image, runcat, xtrsrc, dataset, band, stokes, distance_arcsec, r, assoc_type,
        datapoints, wm_ra, wm_decl, wm_uncertainty_ew, wm_uncertainty_ns,
        avg_ra_err, avg_decl_err, avg_wra, avg_wdecl, avg_weight_ra, avg_weight_decl,
        f_datapoints,
        avg_f_peak, avg_f_peak_sq, avg_f_peak_weight, avg_weighted_f_peak, avg_weighted_f_peak_sq,
        avg_f_int, avg_f_int_sq, avg_f_int_weight, avg_weighted_f_int, avg_weighted_f_int_sq)
    SELECT i.id, rc.id, x.id, rc.dataset, i.band, i.stokes, 0, 0, 9,
           rc.datapoints + 1, rc.wm_ra, rc.wm_decl, rc.wm_uncertainty_ew, rc.wm_uncertainty_ns,
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
    JOIN extractedsource x ON x.image = p_image AND x.extract_type = 2
    JOIN monitor m ON m.id = x.ff_monitor
    JOIN runningcatalog rc ON rc.id = m.runcat
    LEFT JOIN runningcatalog_flux f ON f.runcat = rc.id AND f.band = i.band AND f.stokes = i.stokes
    WHERE i.id = p_image;
    GET DIAGNOSTICS later_fits = ROW_COUNT;
    PERFORM assoc_insert_links(p_image, 9);
    PERFORM assoc_store_flux(p_image, 9);
    UPDATE runningcatalog rc SET datapoints = t.datapoints, forcedfits_count = 0
    FROM temprunningcatalog t
    WHERE t.image = p_image AND t.assoc_type = 9 AND rc.id = t.runcat;

    -- first fits (type 8): a monitored runcat at the fitted position
    WITH img AS (
        SELECT id, dataset, band, stokes FROM image WHERE id = p_image
    ), new_rc AS (
        INSERT INTO runningcatalog (xtrsrc, dataset, datapoints, wm_ra, wm_decl,
                                    wm_uncertainty_ew, wm_uncertainty_ns, avg_ra_err, avg_decl_err,
                                    avg_wra, avg_wdecl, avg_weight_ra, avg_weight_decl,
                                    anchor_ra, anchor_decl, mon_src)
        SELECT x.id, img.dataset, 1, x.ra, x.decl, x.uncertainty_ew, x.uncertainty_ns,
               x.ra_err, x.decl_err,
               x.ra * x.uncertainty_ew ^ -2, x.decl * x.uncertainty_ns ^ -2,
               x.uncertainty_ew ^ -2, x.uncertainty_ns ^ -2, x.ra, x.decl, true
        FROM img
        JOIN extractedsource x ON x.image = p_image AND x.extract_type = 2
        JOIN monitor m ON m.id = x.ff_monitor AND m.runcat IS NULL
        RETURNING id, xtrsrc
    ), flux AS (
        INSERT INTO runningcatalog_flux (runcat, band, stokes, f_datapoints,
            avg_f_peak, avg_f_peak_sq, avg_f_peak_weight, avg_weighted_f_peak, avg_weighted_f_peak_sq,
            avg_f_int, avg_f_int_sq, avg_f_int_weight, avg_weighted_f_int, avg_weighted_f_int_sq)
        SELECT rc.id, img.band, img.stokes, 1,
               x.f_peak, x.f_peak ^ 2, x.f_peak_err ^ -2, x.f_peak * x.f_peak_err ^ -2,
               x.f_peak ^ 2 * x.f_peak_err ^ -2,
               x.f_int, x.f_int ^ 2, x.f_int_err ^ -2, x.f_int * x.f_int_err ^ -2,
               x.f_int ^ 2 * x.f_int_err ^ -2
        FROM new_rc rc CROSS JOIN img JOIN extractedsource x ON x.id = rc.xtrsrc
    ), links AS (
        INSERT INTO assocxtrsource (runcat, xtrsrc, type, distance_arcsec, r,
                                    v_int, eta_int, f_datapoints, v_peak, eta_peak)
        SELECT id, xtrsrc, 8, 0, 0, 0, 0, 1, 0, 0 FROM new_rc
    ), watched AS (
        UPDATE monitor m SET runcat = rc.id
        FROM new_rc rc JOIN extractedsource x ON x.id = rc.xtrsrc
        WHERE m.id = x.ff_monitor
    )
    SELECT count(*) INTO first_fits FROM new_rc;

    PERFORM assoc_update_varmetric(p_image);
    PERFORM assoc_cleanup(p_image);
END
$$;


--
-- Name: FUNCTION associate_monitored(p_image integer, OUT first_fits integer, OUT later_fits integer); Type: COMMENT; Schema: public; Owner: -
--

COMMENT ON FUNCTION public.associate_monitored(p_image integer, OUT first_fits integer, OUT later_fits integer) IS 'Associate the monitoring forced fits (extract_type 2) of an image: type 8 and a new mon_src runcat for a position fitted for the first time, type 9 afterwards; returns both counts.';


--
-- Name: associate_nulldetections(integer); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.associate_nulldetections(p_image integer, OUT forced_fits integer) RETURNS integer
    LANGUAGE plpgsql
    SET jit TO 'off'
    SET plan_cache_mode TO 'force_custom_plan'
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
    IF EXISTS (SELECT FROM extractedsource x JOIN assocxtrsource a ON a.xtrsrc = x.id
               WHERE x.image = p_image AND x.extract_type = 1) THEN
        RAISE EXCEPTION 'associate_nulldetections: the forced fits of image % are already associated',
            p_image;
    END IF;
    SELECT x.id, x.ff_runcat, rc.dataset, rc.mon_src INTO bad
    FROM extractedsource x LEFT JOIN runningcatalog rc ON rc.id = x.ff_runcat
    WHERE x.image = p_image AND x.extract_type = 1
      AND (rc.id IS NULL OR rc.dataset <> ds OR rc.mon_src)
    ORDER BY x.id LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'associate_nulldetections: extraction % of image %: ff_runcat % %', bad.id,
            p_image, bad.ff_runcat,
            CASE WHEN bad.dataset IS NULL THEN 'does not exist'
                 WHEN bad.dataset <> ds THEN format('belongs to dataset %s, not %s', bad.dataset, ds)
                 ELSE 'is a monitored runcat (use associate_monitored)' END;
    END IF;
    SELECT x.ff_runcat INTO bad FROM extractedsource x
    WHERE x.image = p_image AND x.extract_type = 1
    GROUP BY x.ff_runcat HAVING count(*) > 1 LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'associate_nulldetections: image % has several forced fits of runcat %',
            p_image, bad.ff_runcat;
    END IF;

    INSERT INTO temprunningcatalog (
        image, runcat, xtrsrc, dataset, band, stokes, distance_arcsec, r, assoc_type,
        datapoints, wm_ra, wm_decl, wm_uncertainty_ew, wm_uncertainty_ns,
        avg_ra_err, avg_decl_err, avg_wra, avg_wdecl, avg_weight_ra, avg_weight_decl,
        f_datapoints,
        avg_f_peak, avg_f_peak_sq, avg_f_peak_weight, avg_weighted_f_peak, avg_weighted_f_peak_sq,
        avg_f_int, avg_f_int_sq, avg_f_int_weight, avg_weighted_f_int, avg_weighted_f_int_sq)
    SELECT i.id, rc.id, x.id, rc.dataset, i.band, i.stokes, 0, 0, 7,
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
    JOIN runningcatalog rc ON rc.id = x.ff_runcat
    LEFT JOIN runningcatalog_flux f ON f.runcat = rc.id AND f.band = i.band AND f.stokes = i.stokes
    WHERE i.id = p_image;
    GET DIAGNOSTICS forced_fits = ROW_COUNT;

    PERFORM assoc_insert_links(p_image, 7);
    PERFORM assoc_store_flux(p_image, 7);
    UPDATE runningcatalog rc SET forcedfits_count = rc.forcedfits_count + 1
    FROM temprunningcatalog t
    WHERE t.image = p_image AND t.assoc_type = 7 AND rc.id = t.runcat;
    PERFORM assoc_update_varmetric(p_image);
    PERFORM assoc_cleanup(p_image);
END
$$;


--
-- Name: FUNCTION associate_nulldetections(p_image integer, OUT forced_fits integer); Type: COMMENT; Schema: public; Owner: -
--

COMMENT ON FUNCTION public.associate_nulldetections(p_image integer, OUT forced_fits integer) IS 'Associate the null-detection forced fits (extract_type 1) of an image with their runcats (type 7: flux statistics updated, positions unchanged, forcedfits_count + 1); returns their number.';


--
-- Name: check_integrity(); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.check_integrity() RETURNS TABLE(reference text, dangling bigint)
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
    SELECT 'varmetric.runcat', count(*) FROM varmetric vm
    WHERE NOT EXISTS (SELECT FROM runningcatalog rc WHERE rc.id = vm.runcat)
    UNION ALL
    SELECT 'varmetric.band', count(*) FROM varmetric vm
    WHERE vm.band IS NOT NULL AND NOT EXISTS (SELECT FROM frequencyband b WHERE b.id = vm.band)
    UNION ALL
    SELECT 'varmetric_band.runcat', count(*) FROM varmetric_band b
    WHERE NOT EXISTS (SELECT FROM runningcatalog rc WHERE rc.id = b.runcat)
    UNION ALL
    SELECT 'temprunningcatalog (rows left between calls)', count(*) FROM temprunningcatalog;
$$;


--
-- Name: FUNCTION check_integrity(); Type: COMMENT; Schema: public; Owner: -
--

COMMENT ON FUNCTION public.check_integrity() IS 'Dangling references in the tables whose integrity the engine keeps (expected: all 0). Scans whole tables: a DBA check, not for the hot path.';


--
-- Name: dataset_lock(integer); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.dataset_lock(p_dataset integer) RETURNS void
    LANGUAGE sql
    RETURN pg_advisory_xact_lock(1952805748, p_dataset);


--
-- Name: FUNCTION dataset_lock(p_dataset integer); Type: COMMENT; Schema: public; Owner: -
--

COMMENT ON FUNCTION public.dataset_lock(p_dataset integer) IS 'Serialize writers of one dataset until the end of the transaction (advisory lock, class 1952805748 = ''tkpd'').';


--
-- Name: delete_dataset(integer); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.delete_dataset(p_dataset integer) RETURNS void
    LANGUAGE plpgsql
    AS $$
-- Delete a dataset and everything in it (set-based, dependants first).
BEGIN
    PERFORM dataset_lock(p_dataset);
    DELETE FROM varmetric vm USING runningcatalog rc WHERE rc.dataset = p_dataset AND vm.runcat = rc.id;
    DELETE FROM varmetric_band b USING runningcatalog rc WHERE rc.dataset = p_dataset AND b.runcat = rc.id;
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


--
-- Name: FUNCTION delete_dataset(p_dataset integer); Type: COMMENT; Schema: public; Owner: -
--

COMMENT ON FUNCTION public.delete_dataset(p_dataset integer) IS 'Delete a dataset with all its images, measurements and lightcurves.';


--
-- Name: deruiter(double precision, double precision, double precision, double precision, double precision, double precision); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.deruiter(xi double precision, eta double precision, sigma_ew_1 double precision, sigma_ns_1 double precision, sigma_ew_2 double precision, sigma_ns_2 double precision) RETURNS double precision
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN sqrt((((xi ^ (2)::double precision) / ((sigma_ew_1 ^ (2)::double precision) + (sigma_ew_2 ^ (2)::double precision))) + ((eta ^ (2)::double precision) / ((sigma_ns_1 ^ (2)::double precision) + (sigma_ns_2 ^ (2)::double precision)))));


--
-- Name: FUNCTION deruiter(xi double precision, eta double precision, sigma_ew_1 double precision, sigma_ns_1 double precision, sigma_ew_2 double precision, sigma_ns_2 double precision); Type: COMMENT; Schema: public; Owner: -
--

COMMENT ON FUNCTION public.deruiter(xi double precision, eta double precision, sigma_ew_1 double precision, sigma_ns_1 double precision, sigma_ew_2 double precision, sigma_ns_2 double precision) IS 'Dimensionless De Ruiter radius of two positions separated by gnomonic offsets (xi, eta; deg) with on-sky 1-sigma uncertainties (deg) east-west and north-south of each.';


--
-- Name: eta_index(integer, double precision, double precision, double precision); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.eta_index(n integer, avg_weight double precision, avg_weighted double precision, avg_weighted_sq double precision) RETURNS double precision
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN CASE WHEN ((n IS NULL) OR (n <= 1) OR (avg_weight IS NULL) OR (avg_weight <= (0.0)::double precision)) THEN (0.0)::double precision WHEN ((avg_weighted_sq - ((avg_weighted * avg_weighted) / avg_weight)) <= ((0.000000000001)::double precision * abs(avg_weighted_sq))) THEN (0.0)::double precision ELSE (((n)::double precision / ((n - 1))::double precision) * (avg_weighted_sq - ((avg_weighted * avg_weighted) / avg_weight))) END;


--
-- Name: FUNCTION eta_index(n integer, avg_weight double precision, avg_weighted double precision, avg_weighted_sq double precision); Type: COMMENT; Schema: public; Owner: -
--

COMMENT ON FUNCTION public.eta_index(n integer, avg_weight double precision, avg_weighted double precision, avg_weighted_sq double precision) IS 'Reduced chi-square of the fluxes about their weighted mean, eta = n/(n-1) (<w f^2> - <w f>^2/<w>), w = 1/err^2; 0 for one point and when the scatter is below rounding (1e-12 of <w f^2>), so a constant lightcurve gives exactly 0 and never a negative value.';


--
-- Name: get_band(integer, double precision, double precision); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.get_band(p_dataset integer, p_freq_eff double precision, p_freq_bw double precision) RETURNS integer
    LANGUAGE plpgsql
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


--
-- Name: FUNCTION get_band(p_dataset integer, p_freq_eff double precision, p_freq_bw double precision); Type: COMMENT; Schema: public; Owner: -
--

COMMENT ON FUNCTION public.get_band(p_dataset integer, p_freq_eff double precision, p_freq_bw double precision) IS 'The frequency band (id) of an image at freq_eff with bandwidth freq_bw (Hz): the best strictly overlapping band of the dataset, else a new one.';


--
-- Name: get_monitor_entries(integer); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.get_monitor_entries(p_dataset integer) RETURNS TABLE(id integer, runcat integer, ra double precision, decl double precision, name text)
    LANGUAGE sql STABLE
    AS $$
    SELECT id, runcat, ra, decl, name FROM monitor WHERE dataset = p_dataset ORDER BY id
$$;


--
-- Name: FUNCTION get_monitor_entries(p_dataset integer); Type: COMMENT; Schema: public; Owner: -
--

COMMENT ON FUNCTION public.get_monitor_entries(p_dataset integer) IS 'The monitoring list of a dataset: positions (deg) to force-fit in every image, and their runcat once fitted.';


--
-- Name: get_nulldetections(integer, integer); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.get_nulldetections(p_image integer, p_expiration integer DEFAULT 10) RETURNS TABLE(runcat integer, ra double precision, decl double precision)
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


--
-- Name: FUNCTION get_nulldetections(p_image integer, p_expiration integer); Type: COMMENT; Schema: public; Owner: -
--

COMMENT ON FUNCTION public.get_nulldetections(p_image integer, p_expiration integer) IS 'Runcats (id, wm_ra, wm_decl in deg) to force-fit in an image: known blind sources of its sky region it did not detect, with forcedfits_count < expiration.';


--
-- Name: get_skyregion(integer, double precision, double precision, double precision); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.get_skyregion(p_dataset integer, p_centre_ra double precision, p_centre_decl double precision, p_xtr_radius double precision) RETURNS integer
    LANGUAGE plpgsql
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
    JOIN runningcatalog rc
      ON rc.dataset = s.dataset AND NOT rc.mon_src AND rc.pos <@ s.region
     AND rc.anchor <@ scircle(s.centre, radians(s.xtr_radius + runcat_anchor_margin()))
    WHERE s.id = rgn_id;
    RETURN rgn_id;
END
$$;


--
-- Name: FUNCTION get_skyregion(p_dataset integer, p_centre_ra double precision, p_centre_decl double precision, p_xtr_radius double precision); Type: COMMENT; Schema: public; Owner: -
--

COMMENT ON FUNCTION public.get_skyregion(p_dataset integer, p_centre_ra double precision, p_centre_decl double precision, p_xtr_radius double precision) IS 'The sky region (id) with exactly this centre and radius (deg), else a new one linked to the blind runcats inside it.';


--
-- Name: insert_image(integer, timestamp without time zone, double precision, double precision, double precision, double precision, double precision, double precision, double precision, double precision, double precision, double precision, double precision, double precision, double precision, smallint, text); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.insert_image(p_dataset integer, p_taustart_ts timestamp without time zone, p_tau_time double precision, p_freq_eff double precision, p_freq_bw double precision, p_rb_smaj double precision, p_rb_smin double precision, p_rb_pa double precision, p_centre_ra double precision, p_centre_decl double precision, p_xtr_radius double precision, p_rms_min double precision DEFAULT NULL::double precision, p_rms_max double precision DEFAULT NULL::double precision, p_detection_thresh double precision DEFAULT NULL::double precision, p_analysis_thresh double precision DEFAULT NULL::double precision, p_stokes smallint DEFAULT 1, p_url text DEFAULT NULL::text) RETURNS integer
    LANGUAGE plpgsql
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


--
-- Name: FUNCTION insert_image(p_dataset integer, p_taustart_ts timestamp without time zone, p_tau_time double precision, p_freq_eff double precision, p_freq_bw double precision, p_rb_smaj double precision, p_rb_smin double precision, p_rb_pa double precision, p_centre_ra double precision, p_centre_decl double precision, p_xtr_radius double precision, p_rms_min double precision, p_rms_max double precision, p_detection_thresh double precision, p_analysis_thresh double precision, p_stokes smallint, p_url text); Type: COMMENT; Schema: public; Owner: -
--

COMMENT ON FUNCTION public.insert_image(p_dataset integer, p_taustart_ts timestamp without time zone, p_tau_time double precision, p_freq_eff double precision, p_freq_bw double precision, p_rb_smaj double precision, p_rb_smin double precision, p_rb_pa double precision, p_centre_ra double precision, p_centre_decl double precision, p_xtr_radius double precision, p_rms_min double precision, p_rms_max double precision, p_detection_thresh double precision, p_analysis_thresh double precision, p_stokes smallint, p_url text) IS 'Register an image (deg, Hz, s, Jy) with its band and sky region; returns its id.';


--
-- Name: insert_monitor_positions(integer, double precision[], double precision[], text[]); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.insert_monitor_positions(p_dataset integer, p_ra double precision[], p_decl double precision[], p_name text[] DEFAULT NULL::text[]) RETURNS SETOF integer
    LANGUAGE plpgsql
    AS $$
-- Add positions (deg; RA folded into [0, 360)) to a dataset's monitoring list; returns the new
-- monitor ids in input order.
DECLARE
    bad integer;
BEGIN
    IF NOT EXISTS (SELECT FROM dataset WHERE id = p_dataset) THEN
        RAISE EXCEPTION 'insert_monitor_positions: dataset % does not exist', p_dataset;
    END IF;
    IF cardinality(p_ra) IS DISTINCT FROM cardinality(p_decl)
       OR (p_name IS NOT NULL AND cardinality(p_name) <> cardinality(p_ra)) THEN
        RAISE EXCEPTION 'insert_monitor_positions: ra, decl (and name) must have the same length';
    END IF;
    SELECT k INTO bad FROM unnest(p_ra, p_decl) WITH ORDINALITY AS p(ra, decl, k)
    WHERE ra IS NULL OR decl IS NULL OR ra = 'NaN' OR decl = 'NaN'
       OR ra IN ('Infinity', '-Infinity') OR decl NOT BETWEEN -90 AND 90
    ORDER BY k LIMIT 1;
    IF bad IS NOT NULL THEN
        RAISE EXCEPTION 'insert_monitor_positions: position % (row %) is not a valid (ra, decl) in deg',
            format('(%s, %s)', p_ra[bad], p_decl[bad]), bad - 1;
    END IF;
    PERFORM dataset_lock(p_dataset);
    RETURN QUERY
    WITH ids AS (
        SELECT k, nextval(pg_get_serial_sequence('monitor', 'id'))::integer AS id
        FROM generate_series(1, cardinality(p_ra)) AS k
    ), inserted AS (
        INSERT INTO monitor (id, dataset, ra, decl, name)
        SELECT ids.id, p_dataset, ra_norm(p_ra[ids.k]), p_decl[ids.k], p_name[ids.k]
        FROM ids
        RETURNING id
    )
    SELECT ids.id FROM ids JOIN inserted USING (id) ORDER BY ids.k;
END
$$;


--
-- Name: FUNCTION insert_monitor_positions(p_dataset integer, p_ra double precision[], p_decl double precision[], p_name text[]); Type: COMMENT; Schema: public; Owner: -
--

COMMENT ON FUNCTION public.insert_monitor_positions(p_dataset integer, p_ra double precision[], p_decl double precision[], p_name text[]) IS 'Add positions (deg) to the monitoring list of a dataset; returns the monitor ids in input order.';


--
-- Name: lightcurve_component(integer); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.lightcurve_component(p_runcat integer) RETURNS TABLE(runcat integer)
    LANGUAGE sql STABLE
    AS $$
    -- Connected component of the runcat in the bipartite runcat-extraction graph: lightcurves
    -- that share a measurement (fork copies, types 2/6; many-to-one links, type 3), transitively.
    -- Each step expands only the runcats found by the previous step (UNION drops the rest).
    WITH RECURSIVE component (runcat) AS (
        SELECT id FROM runningcatalog WHERE id = p_runcat
        UNION
        SELECT b.runcat
        FROM component c
        JOIN assocxtrsource a ON a.runcat = c.runcat
        JOIN assocxtrsource b ON b.xtrsrc = a.xtrsrc
    )
    SELECT runcat FROM component
$$;


--
-- Name: FUNCTION lightcurve_component(p_runcat integer); Type: COMMENT; Schema: public; Owner: -
--

COMMENT ON FUNCTION public.lightcurve_component(p_runcat integer) IS 'The runcats connected to this one through shared measurements (itself included; none if it does not exist).';


--
-- Name: lightcurve_heritage_points(integer); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.lightcurve_heritage_points(p_runcat integer) RETURNS TABLE(runcat integer, xtrsrc bigint, assoc_type smallint, taustart_ts timestamp without time zone, band integer, freq_central double precision, freq_eff double precision, stokes smallint, f_int double precision)
    LANGUAGE sql STABLE
    AS $$
    SELECT l.runcat, l.xtrsrc, l.assoc_type, l.taustart_ts, l.band, fb.freq_central,
           l.freq_eff, l.stokes, l.f_int
    FROM lightcurve_component(p_runcat) c
    JOIN lightcurve l ON l.runcat = c.runcat
    JOIN frequencyband fb ON fb.id = l.band
    ORDER BY l.runcat, l.band, l.stokes, l.taustart_ts, l.freq_eff, l.xtrsrc
$$;


--
-- Name: FUNCTION lightcurve_heritage_points(p_runcat integer); Type: COMMENT; Schema: public; Owner: -
--

COMMENT ON FUNCTION public.lightcurve_heritage_points(p_runcat integer) IS 'Measurements of every lightcurve of the runcat''s component, per runcat, band and Stokes in time order (freq Hz, f_int Jy): the input of a heritage graph.';


--
-- Name: offset_distance_arcsec(double precision, double precision); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.offset_distance_arcsec(xi double precision, eta double precision) RETURNS double precision
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN ((3600.0)::double precision * degrees(atan(sqrt(((radians(xi) ^ (2)::double precision) + (radians(eta) ^ (2)::double precision))))));


--
-- Name: FUNCTION offset_distance_arcsec(xi double precision, eta double precision); Type: COMMENT; Schema: public; Owner: -
--

COMMENT ON FUNCTION public.offset_distance_arcsec(xi double precision, eta double precision) IS 'Great-circle separation (arcsec) of a point at gnomonic offsets (xi, eta; deg) from the tangent point.';


--
-- Name: ra_norm(double precision); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.ra_norm(ra double precision) RETURNS double precision
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN CASE WHEN ((ra - ((360.0)::double precision * floor((ra / (360.0)::double precision)))) >= (360.0)::double precision) THEN (0.0)::double precision ELSE (ra - ((360.0)::double precision * floor((ra / (360.0)::double precision)))) END;


--
-- Name: FUNCTION ra_norm(ra double precision); Type: COMMENT; Schema: public; Owner: -
--

COMMENT ON FUNCTION public.ra_norm(ra double precision) IS 'Right ascension folded into [0, 360) degrees (a value that rounds to 360 becomes 0).';


--
-- Name: runcat_anchor_margin(); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.runcat_anchor_margin() RETURNS double precision
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN (15.0 / 3600.0);


--
-- Name: FUNCTION runcat_anchor_margin(); Type: COMMENT; Schema: public; Owner: -
--

COMMENT ON FUNCTION public.runcat_anchor_margin() IS 'Largest distance (deg) between a runcat''s indexed anchor and its weighted-mean position.';


--
-- Name: running_mean(integer, double precision, double precision); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.running_mean(n integer, avg double precision, value double precision) RETURNS double precision
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN ((((COALESCE(n, 0))::double precision * COALESCE(avg, (0.0)::double precision)) + value) / ((COALESCE(n, 0) + 1))::double precision);


--
-- Name: FUNCTION running_mean(n integer, avg double precision, value double precision); Type: COMMENT; Schema: public; Owner: -
--

COMMENT ON FUNCTION public.running_mean(n integer, avg double precision, value double precision) IS 'Mean of n values with mean avg, plus one more value (n NULL or 0: the value itself).';


--
-- Name: sky_offsets(double precision, double precision, double precision, double precision); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.sky_offsets(ra0 double precision, decl0 double precision, ra double precision, decl double precision) RETURNS TABLE(xi double precision, eta double precision)
    LANGUAGE sql IMMUTABLE ROWS 1 PARALLEL SAFE
    AS $$
    SELECT degrees(cos(radians(decl)) * sin(radians(ra - ra0)) / c.cosc),
           degrees((cos(radians(decl0)) * sin(radians(decl))
                    - sin(radians(decl0)) * cos(radians(decl)) * cos(radians(ra - ra0))) / c.cosc)
    FROM (SELECT sin(radians(decl0)) * sin(radians(decl))
                 + cos(radians(decl0)) * cos(radians(decl)) * cos(radians(ra - ra0)) AS cosc) c
$$;


--
-- Name: FUNCTION sky_offsets(ra0 double precision, decl0 double precision, ra double precision, decl double precision); Type: COMMENT; Schema: public; Owner: -
--

COMMENT ON FUNCTION public.sky_offsets(ra0 double precision, decl0 double precision, ra double precision, decl double precision) IS 'Gnomonic offsets (xi east, eta north; deg) of (ra, decl) in the tangent plane at (ra0, decl0). Valid within 90 deg of the reference; no RA wrap, no pole singularity.';


--
-- Name: sky_shift(double precision, double precision, double precision, double precision); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.sky_shift(ra0 double precision, decl0 double precision, xi double precision, eta double precision) RETURNS TABLE(ra double precision, decl double precision)
    LANGUAGE sql IMMUTABLE ROWS 1 PARALLEL SAFE
    AS $$
    -- decl from atan2, not asin: asin loses up to 3 mas within a few mas of a pole
    SELECT ra_norm(ra0 + degrees(atan2(radians(xi),
                                       cos(radians(decl0)) - radians(eta) * sin(radians(decl0))))),
           degrees(atan2(sin(radians(decl0)) + radians(eta) * cos(radians(decl0)),
                         sqrt((cos(radians(decl0)) - radians(eta) * sin(radians(decl0))) ^ 2
                              + radians(xi) ^ 2)))
$$;


--
-- Name: FUNCTION sky_shift(ra0 double precision, decl0 double precision, xi double precision, eta double precision); Type: COMMENT; Schema: public; Owner: -
--

COMMENT ON FUNCTION public.sky_shift(ra0 double precision, decl0 double precision, xi double precision, eta double precision) IS 'Inverse of sky_offsets: the position (RA in [0, 360), decl; deg) at gnomonic offsets (xi, eta; deg) from (ra0, decl0).';


--
-- Name: suspect_transients_of(integer, double precision); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.suspect_transients_of(p_dataset integer, p_tolerance double precision DEFAULT 0.3) RETURNS TABLE(runcat integer, fork_image integer, parent_runcat integer, base_xtrsrc bigint, children integer, parent_avg_f_int double precision, base_f_int double precision, children_f_int double precision, split_ratio double precision, step_ratio double precision, newsource integer)
    LANGUAGE sql STABLE
    AS $$
    -- A fork is a flux split when a runcat with mean f_int m > 0 (in the fork image's band and
    -- Stokes) forked into n >= 2 lightcurves whose base-point fluxes b_i add up to m within the
    -- tolerance: |sum(b_i)/m - 1| <= p_tolerance. One source was resolved into components,
    -- each with a share of its flux (about half for n = 2), so every lightcurve through a base
    -- point steps from m to b_i (step_ratio ~ 1/n) at the fork, and back up if the components
    -- blend again: steps of the association, not of the sky. Every current lightcurve holding
    -- such a base point (the child itself or, after later forks, its descendants) is listed,
    -- once per split, with its newsource id when it is also a transient candidate.
    WITH forks AS (
        SELECT f.image, f.parent_runcat, f.xtrsrc, f.parent_avg_f_int, x.f_int,
               count(*) OVER w AS children, sum(x.f_int) OVER w AS children_f_int
        FROM image i
        JOIN fork_log f ON f.image = i.id
        JOIN extractedsource x ON x.id = f.xtrsrc
        WHERE i.dataset = p_dataset
        WINDOW w AS (PARTITION BY f.image, f.parent_runcat)
    ), splits AS (
        SELECT * FROM forks
        WHERE children >= 2 AND parent_avg_f_int > 0.0
          AND abs(children_f_int / parent_avg_f_int - 1.0) <= p_tolerance
    )
    SELECT a.runcat, s.image, s.parent_runcat, s.xtrsrc, s.children::integer,
           s.parent_avg_f_int, s.f_int, s.children_f_int,
           s.children_f_int / s.parent_avg_f_int, s.f_int / s.parent_avg_f_int, ns.id
    FROM splits s
    JOIN assocxtrsource a ON a.xtrsrc = s.xtrsrc
    LEFT JOIN newsource ns ON ns.runcat = a.runcat
    ORDER BY a.runcat, s.image, s.xtrsrc
$$;


--
-- Name: FUNCTION suspect_transients_of(p_dataset integer, p_tolerance double precision); Type: COMMENT; Schema: public; Owner: -
--

COMMENT ON FUNCTION public.suspect_transients_of(p_dataset integer, p_tolerance double precision) IS 'Lightcurves of the dataset whose flux steps at a fork that split one source''s flux among its children (children''s base-point f_int summing to the parent''s mean within the tolerance, a fraction): false-transient candidates. Fluxes in Jy.';


--
-- Name: v_index(integer, double precision, double precision); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.v_index(n integer, avg double precision, avg_sq double precision) RETURNS double precision
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN CASE WHEN ((n IS NULL) OR (n <= 1)) THEN (0.0)::double precision WHEN ((avg IS NULL) OR (avg = (0.0)::double precision)) THEN NULL::double precision WHEN ((avg_sq - (avg * avg)) <= ((0.000000000001)::double precision * avg_sq)) THEN (0.0)::double precision ELSE (sqrt((((n)::double precision * (avg_sq - (avg * avg))) / ((n - 1))::double precision)) / avg) END;


--
-- Name: FUNCTION v_index(n integer, avg double precision, avg_sq double precision); Type: COMMENT; Schema: public; Owner: -
--

COMMENT ON FUNCTION public.v_index(n integer, avg double precision, avg_sq double precision) IS 'Flux coefficient of variation V = sqrt(n/(n-1) (<f^2> - <f>^2)) / <f>. 0 for one point or when the variance is below rounding (1e-12 of <f^2>), NULL when the mean flux is exactly 0.';


SET default_tablespace = '';

SET default_table_access_method = heap;

--
-- Name: alembic_version; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.alembic_version (
    version_num character varying(32) NOT NULL
);


--
-- Name: association_log; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.association_log (
    image integer NOT NULL,
    candidates integer NOT NULL,
    one_to_one integer NOT NULL,
    one_to_many integer NOT NULL,
    many_to_one integer NOT NULL,
    many_to_many_pruned integer NOT NULL,
    new_sources integer NOT NULL,
    new_transient_candidates integer NOT NULL
);


--
-- Name: TABLE association_log; Type: COMMENT; Schema: public; Owner: -
--

COMMENT ON TABLE public.association_log IS 'What associate_image did to each image (its returned counts): one_to_many = runcats forked, many_to_one = extractions appended to several runcats, many_to_many_pruned = candidate pairs dropped.';


--
-- Name: assocskyrgn; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.assocskyrgn (
    id integer NOT NULL,
    runcat integer NOT NULL,
    skyrgn integer NOT NULL,
    distance_deg double precision
);


--
-- Name: TABLE assocskyrgn; Type: COMMENT; Schema: public; Owner: -
--

COMMENT ON TABLE public.assocskyrgn IS 'Which extraction regions contain a runcat; distance_deg from the region centre (deg).';


--
-- Name: assocskyrgn_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.assocskyrgn_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: assocskyrgn_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.assocskyrgn_id_seq OWNED BY public.assocskyrgn.id;


--
-- Name: assocxtrsource; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.assocxtrsource (
    id integer NOT NULL,
    runcat integer NOT NULL,
    xtrsrc bigint NOT NULL,
    type smallint NOT NULL,
    distance_arcsec double precision,
    r double precision,
    loglr double precision,
    v_int double precision,
    eta_int double precision NOT NULL,
    f_datapoints integer NOT NULL,
    v_peak double precision,
    eta_peak double precision,
    CONSTRAINT assocxtrsource_type_check CHECK ((type = ANY (ARRAY[2, 3, 4, 6, 7, 8, 9])))
);


--
-- Name: TABLE assocxtrsource; Type: COMMENT; Schema: public; Owner: -
--

COMMENT ON TABLE public.assocxtrsource IS 'Lightcurve links. type 2 fork base point, 3 one-to-one (and each link of a many-to-one), 4 new source, 6 history copied to a fork, 7 null-detection forced fit, 8 first and 9 later monitoring fits.';


--
-- Name: COLUMN assocxtrsource.distance_arcsec; Type: COMMENT; Schema: public; Owner: -
--

COMMENT ON COLUMN public.assocxtrsource.distance_arcsec IS 'Separation (arcsec) from the runcat position before this datapoint was added.';


--
-- Name: COLUMN assocxtrsource.r; Type: COMMENT; Schema: public; Owner: -
--

COMMENT ON COLUMN public.assocxtrsource.r IS 'De Ruiter radius against the runcat position and uncertainty before this datapoint.';


--
-- Name: COLUMN assocxtrsource.v_int; Type: COMMENT; Schema: public; Owner: -
--

COMMENT ON COLUMN public.assocxtrsource.v_int IS 'Flux coefficient of variation of f_int in this band after this datapoint; NULL when the mean flux is 0.';


--
-- Name: COLUMN assocxtrsource.eta_int; Type: COMMENT; Schema: public; Owner: -
--

COMMENT ON COLUMN public.assocxtrsource.eta_int IS 'Reduced chi-square of f_int about its weighted mean in this band after this datapoint.';


--
-- Name: assocxtrsource_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.assocxtrsource_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: assocxtrsource_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.assocxtrsource_id_seq OWNED BY public.assocxtrsource.id;


--
-- Name: dataset; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.dataset (
    id integer NOT NULL,
    rerun integer DEFAULT 0 NOT NULL,
    type smallint DEFAULT 1 NOT NULL,
    process_start_ts timestamp without time zone DEFAULT (now() AT TIME ZONE 'UTC'::text) NOT NULL,
    process_end_ts timestamp without time zone,
    detection_threshold double precision,
    analysis_threshold double precision,
    assoc_radius double precision,
    backsize_x smallint,
    backsize_y smallint,
    margin_width double precision,
    description text NOT NULL,
    node smallint DEFAULT 1 NOT NULL,
    nodes smallint DEFAULT 1 NOT NULL
);


--
-- Name: TABLE dataset; Type: COMMENT; Schema: public; Owner: -
--

COMMENT ON TABLE public.dataset IS 'One processing run; everything else is scoped to a dataset.';


--
-- Name: dataset_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.dataset_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: dataset_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.dataset_id_seq OWNED BY public.dataset.id;


--
-- Name: extractedsource; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.extractedsource (
    id bigint NOT NULL,
    image integer NOT NULL,
    ff_runcat integer,
    ff_monitor integer,
    ra double precision NOT NULL,
    decl double precision NOT NULL,
    ra_fit_err double precision NOT NULL,
    decl_fit_err double precision NOT NULL,
    ew_sys_err double precision NOT NULL,
    ns_sys_err double precision NOT NULL,
    error_radius double precision NOT NULL,
    margin boolean DEFAULT false NOT NULL,
    det_sigma double precision NOT NULL,
    semimajor double precision,
    semiminor double precision,
    pa double precision,
    f_peak double precision,
    f_peak_err double precision,
    f_int double precision,
    f_int_err double precision,
    chisq double precision,
    reduced_chisq double precision,
    extract_type smallint DEFAULT 0 NOT NULL,
    fit_type smallint,
    node smallint DEFAULT 1 NOT NULL,
    nodes smallint DEFAULT 1 NOT NULL,
    zone integer GENERATED ALWAYS AS ((floor(decl))::integer) STORED,
    x double precision GENERATED ALWAYS AS ((cos(radians(decl)) * cos(radians(ra)))) STORED,
    y double precision GENERATED ALWAYS AS ((cos(radians(decl)) * sin(radians(ra)))) STORED,
    z double precision GENERATED ALWAYS AS (sin(radians(decl))) STORED,
    racosdecl double precision GENERATED ALWAYS AS ((ra * cos(radians(decl)))) STORED,
    ra_err double precision GENERATED ALWAYS AS (sqrt(((ra_fit_err ^ (2)::double precision) + (
CASE
    WHEN ((abs(decl) + (ew_sys_err / (3600.0)::double precision)) > (89.9)::double precision) THEN (180.0)::double precision
    ELSE degrees(abs(atan((sin(radians((ew_sys_err / (3600.0)::double precision))) / sqrt(abs((cos(radians((decl - (ew_sys_err / (3600.0)::double precision)))) * cos(radians((decl + (ew_sys_err / (3600.0)::double precision)))))))))))
END ^ (2)::double precision)))) STORED,
    decl_err double precision GENERATED ALWAYS AS (sqrt(((decl_fit_err ^ (2)::double precision) + ((ns_sys_err / (3600.0)::double precision) ^ (2)::double precision)))) STORED,
    uncertainty_ew double precision GENERATED ALWAYS AS ((sqrt(((ew_sys_err ^ (2)::double precision) + (error_radius ^ (2)::double precision))) / (3600.0)::double precision)) STORED,
    uncertainty_ns double precision GENERATED ALWAYS AS ((sqrt(((ns_sys_err ^ (2)::double precision) + (error_radius ^ (2)::double precision))) / (3600.0)::double precision)) STORED,
    CONSTRAINT extractedsource_check CHECK (((f_peak_err > (0)::double precision) AND (f_int_err > (0)::double precision))),
    CONSTRAINT extractedsource_check1 CHECK (((ew_sys_err > (0)::double precision) OR (error_radius > (0)::double precision))),
    CONSTRAINT extractedsource_check2 CHECK (((ns_sys_err > (0)::double precision) OR (error_radius > (0)::double precision))),
    CONSTRAINT extractedsource_decl_check CHECK (((decl >= ('-90'::integer)::double precision) AND (decl <= (90)::double precision))),
    CONSTRAINT extractedsource_decl_fit_err_check CHECK ((decl_fit_err >= (0)::double precision)),
    CONSTRAINT extractedsource_error_radius_check CHECK ((error_radius >= (0)::double precision)),
    CONSTRAINT extractedsource_ew_sys_err_check CHECK ((ew_sys_err >= (0)::double precision)),
    CONSTRAINT extractedsource_extract_type_check CHECK ((extract_type = ANY (ARRAY[0, 1, 2]))),
    CONSTRAINT extractedsource_ns_sys_err_check CHECK ((ns_sys_err >= (0)::double precision)),
    CONSTRAINT extractedsource_ra_check CHECK (((ra >= (0)::double precision) AND (ra < (360)::double precision))),
    CONSTRAINT extractedsource_ra_fit_err_check CHECK ((ra_fit_err >= (0)::double precision))
);


--
-- Name: TABLE extractedsource; Type: COMMENT; Schema: public; Owner: -
--

COMMENT ON TABLE public.extractedsource IS 'One row per measurement. extract_type 0 blind, 1 forced fit at a null detection (ff_runcat), 2 forced fit at a monitored position (ff_monitor).';


--
-- Name: COLUMN extractedsource.ra; Type: COMMENT; Schema: public; Owner: -
--

COMMENT ON COLUMN public.extractedsource.ra IS 'Right ascension (deg, [0, 360)).';


--
-- Name: COLUMN extractedsource.ew_sys_err; Type: COMMENT; Schema: public; Owner: -
--

COMMENT ON COLUMN public.extractedsource.ew_sys_err IS 'East-west systematic position error (arcsec).';


--
-- Name: COLUMN extractedsource.ns_sys_err; Type: COMMENT; Schema: public; Owner: -
--

COMMENT ON COLUMN public.extractedsource.ns_sys_err IS 'North-south systematic position error (arcsec).';


--
-- Name: COLUMN extractedsource.error_radius; Type: COMMENT; Schema: public; Owner: -
--

COMMENT ON COLUMN public.extractedsource.error_radius IS 'Fit error radius (arcsec).';


--
-- Name: COLUMN extractedsource.semimajor; Type: COMMENT; Schema: public; Owner: -
--

COMMENT ON COLUMN public.extractedsource.semimajor IS 'Fitted semi-major axis (arcsec).';


--
-- Name: COLUMN extractedsource.ra_err; Type: COMMENT; Schema: public; Owner: -
--

COMMENT ON COLUMN public.extractedsource.ra_err IS 'RA error (deg of RA): ra_fit_err (+) alpha(ew_sys_err/3600, decl).';


--
-- Name: COLUMN extractedsource.uncertainty_ew; Type: COMMENT; Schema: public; Owner: -
--

COMMENT ON COLUMN public.extractedsource.uncertainty_ew IS 'On-sky east-west 1-sigma (deg): ew_sys_err (+) error_radius, /3600.';


--
-- Name: COLUMN extractedsource.uncertainty_ns; Type: COMMENT; Schema: public; Owner: -
--

COMMENT ON COLUMN public.extractedsource.uncertainty_ns IS 'On-sky north-south 1-sigma (deg): ns_sys_err (+) error_radius, /3600.';


--
-- Name: image; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.image (
    id integer NOT NULL,
    dataset integer NOT NULL,
    band integer NOT NULL,
    skyrgn integer NOT NULL,
    tau integer,
    stokes smallint DEFAULT 1 NOT NULL,
    tau_time double precision,
    freq_eff double precision NOT NULL,
    freq_bw double precision,
    taustart_ts timestamp without time zone NOT NULL,
    rb_smaj double precision NOT NULL,
    rb_smin double precision NOT NULL,
    rb_pa double precision NOT NULL,
    deltax double precision,
    deltay double precision,
    fwhm_arcsec double precision,
    fov_degrees double precision,
    rms_qc double precision,
    rms_min double precision,
    rms_max double precision,
    detection_thresh double precision,
    analysis_thresh double precision,
    url text,
    node smallint DEFAULT 1 NOT NULL,
    nodes smallint DEFAULT 1 NOT NULL,
    CONSTRAINT image_rb_smaj_check CHECK ((rb_smaj > (0)::double precision)),
    CONSTRAINT image_rb_smin_check CHECK ((rb_smin > (0)::double precision))
);


--
-- Name: TABLE image; Type: COMMENT; Schema: public; Owner: -
--

COMMENT ON TABLE public.image IS 'Images. rb_smaj, rb_smin: restoring-beam semi-axes (deg); rb_pa (deg); rms_min, rms_max (Jy) and detection_thresh (sigma) drive the new-source test.';


--
-- Name: newsource; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.newsource (
    id integer NOT NULL,
    runcat integer NOT NULL,
    trigger_xtrsrc bigint NOT NULL,
    previous_limits_image integer NOT NULL,
    newsource_type smallint NOT NULL,
    CONSTRAINT newsource_newsource_type_check CHECK ((newsource_type = ANY (ARRAY[0, 1])))
);


--
-- Name: TABLE newsource; Type: COMMENT; Schema: public; Owner: -
--

COMMENT ON TABLE public.newsource IS 'Transient candidates: 0 possibly transient (above the best previous low limit), 1 likely transient (above the strongest previous high limit).';


--
-- Name: runningcatalog; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.runningcatalog (
    id integer NOT NULL,
    xtrsrc bigint NOT NULL,
    dataset integer NOT NULL,
    datapoints integer NOT NULL,
    wm_ra double precision NOT NULL,
    wm_decl double precision NOT NULL,
    wm_uncertainty_ew double precision NOT NULL,
    wm_uncertainty_ns double precision NOT NULL,
    avg_ra_err double precision NOT NULL,
    avg_decl_err double precision NOT NULL,
    avg_wra double precision NOT NULL,
    avg_wdecl double precision NOT NULL,
    avg_weight_ra double precision NOT NULL,
    avg_weight_decl double precision NOT NULL,
    inactive boolean DEFAULT false NOT NULL,
    mon_src boolean DEFAULT false NOT NULL,
    forcedfits_count integer DEFAULT 0 NOT NULL,
    zone integer GENERATED ALWAYS AS ((floor(wm_decl))::integer) STORED,
    x double precision GENERATED ALWAYS AS ((cos(radians(wm_decl)) * cos(radians(wm_ra)))) STORED,
    y double precision GENERATED ALWAYS AS ((cos(radians(wm_decl)) * sin(radians(wm_ra)))) STORED,
    z double precision GENERATED ALWAYS AS (sin(radians(wm_decl))) STORED,
    pos public.spoint GENERATED ALWAYS AS (public.spoint(radians(wm_ra), radians(wm_decl))) STORED,
    anchor_ra double precision,
    anchor_decl double precision,
    anchor public.spoint GENERATED ALWAYS AS (public.spoint(radians(COALESCE(anchor_ra, wm_ra)), radians(COALESCE(anchor_decl, wm_decl)))) STORED,
    CONSTRAINT runningcatalog_wm_decl_check CHECK (((wm_decl >= ('-90'::integer)::double precision) AND (wm_decl <= (90)::double precision))),
    CONSTRAINT runningcatalog_wm_ra_check CHECK (((wm_ra >= (0)::double precision) AND (wm_ra < (360)::double precision)))
)
WITH (fillfactor='60', autovacuum_vacuum_scale_factor='0.05', autovacuum_analyze_scale_factor='0.05');


--
-- Name: TABLE runningcatalog; Type: COMMENT; Schema: public; Owner: -
--

COMMENT ON TABLE public.runningcatalog IS 'One row per lightcurve ("unique source"): the weighted-mean position (deg) of its positional datapoints and the running means that update it.';


--
-- Name: COLUMN runningcatalog.datapoints; Type: COMMENT; Schema: public; Owner: -
--

COMMENT ON COLUMN public.runningcatalog.datapoints IS 'Number of positional datapoints (blind and monitoring fits; not null-detection fits).';


--
-- Name: COLUMN runningcatalog.wm_uncertainty_ew; Type: COMMENT; Schema: public; Owner: -
--

COMMENT ON COLUMN public.runningcatalog.wm_uncertainty_ew IS 'On-sky 1-sigma of the weighted mean east-west (deg) = 1/sqrt(sum w_ew).';


--
-- Name: COLUMN runningcatalog.avg_wra; Type: COMMENT; Schema: public; Owner: -
--

COMMENT ON COLUMN public.runningcatalog.avg_wra IS 'avg_weight_ra * wm_ra (deg^-1); kept equal to that product so RA never wraps in a sum.';


--
-- Name: COLUMN runningcatalog.avg_weight_ra; Type: COMMENT; Schema: public; Owner: -
--

COMMENT ON COLUMN public.runningcatalog.avg_weight_ra IS 'Mean over datapoints of 1/uncertainty_ew^2 (deg^-2).';


--
-- Name: COLUMN runningcatalog.pos; Type: COMMENT; Schema: public; Owner: -
--

COMMENT ON COLUMN public.runningcatalog.pos IS 'pgSphere position of (wm_ra, wm_decl).';


--
-- Name: COLUMN runningcatalog.anchor; Type: COMMENT; Schema: public; Owner: -
--

COMMENT ON COLUMN public.runningcatalog.anchor IS 'GiST-indexed pgSphere position within runcat_anchor_margin() of pos.';


--
-- Name: dataset_statistics; Type: VIEW; Schema: public; Owner: -
--

CREATE VIEW public.dataset_statistics AS
 SELECT d.id AS dataset,
    made.n AS measurements_made,
    counted.links AS measurements_counted,
    (((counted.links)::double precision / (NULLIF(made.n, 0))::double precision) - (1.0)::double precision) AS overcounting_fraction,
    counted.lightcurves,
    events.images_associated,
    events.one_to_many AS one_to_many_events,
    events.many_to_one AS many_to_one_events,
    events.many_to_many_pruned AS many_to_many_events,
    candidates.n AS transient_candidates,
    suspects.n AS suspect_transients
   FROM (((((public.dataset d
     CROSS JOIN LATERAL ( SELECT count(*) AS n
           FROM (public.image i
             JOIN public.extractedsource x ON ((x.image = i.id)))
          WHERE (i.dataset = d.id)) made)
     CROSS JOIN LATERAL ( SELECT count(DISTINCT rc.id) AS lightcurves,
            count(a.runcat) AS links
           FROM (public.runningcatalog rc
             LEFT JOIN public.assocxtrsource a ON ((a.runcat = rc.id)))
          WHERE (rc.dataset = d.id)) counted)
     CROSS JOIN LATERAL ( SELECT count(*) AS images_associated,
            COALESCE(sum(l.one_to_many), (0)::bigint) AS one_to_many,
            COALESCE(sum(l.many_to_one), (0)::bigint) AS many_to_one,
            COALESCE(sum(l.many_to_many_pruned), (0)::bigint) AS many_to_many_pruned
           FROM (public.image i
             JOIN public.association_log l ON ((l.image = i.id)))
          WHERE (i.dataset = d.id)) events)
     CROSS JOIN LATERAL ( SELECT count(*) AS n
           FROM (public.runningcatalog rc
             JOIN public.newsource ns ON ((ns.runcat = rc.id)))
          WHERE (rc.dataset = d.id)) candidates)
     CROSS JOIN LATERAL ( SELECT count(DISTINCT s.runcat) AS n
           FROM public.suspect_transients_of(d.id) s(runcat, fork_image, parent_runcat, base_xtrsrc, children, parent_avg_f_int, base_f_int, children_f_int, split_ratio, step_ratio, newsource)) suspects);


--
-- Name: VIEW dataset_statistics; Type: COMMENT; Schema: public; Owner: -
--

COMMENT ON VIEW public.dataset_statistics IS 'Per dataset: measurements_made (extractions of its images, blind and forced), measurements_counted (links of all its lightcurves), overcounting_fraction = counted/made - 1 (0 when no measurement is shared), lightcurves, images_associated, one_to_many_events (runcats forked), many_to_one_events (extractions appended to several runcats in one image), many_to_many_events (candidate pairs pruned), transient_candidates (newsource rows) and suspect_transients (lightcurves listed by suspect_transients).';


--
-- Name: extractedsource_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.extractedsource_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: extractedsource_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.extractedsource_id_seq OWNED BY public.extractedsource.id;


--
-- Name: fork_log; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.fork_log (
    runcat integer NOT NULL,
    parent_runcat integer NOT NULL,
    image integer NOT NULL,
    xtrsrc bigint NOT NULL,
    parent_f_datapoints integer NOT NULL,
    parent_avg_f_int double precision
);


--
-- Name: TABLE fork_log; Type: COMMENT; Schema: public; Owner: -
--

COMMENT ON TABLE public.fork_log IS 'One row per lightcurve born by a one-to-many fork: the runcat it replaced (deleted, so no foreign key; runcat ids are history here too), the image and the base-point extraction (type 2), and the parent''s number of measurements and mean f_int (Jy) in that image''s band and Stokes just before the fork.';


--
-- Name: frequencyband; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.frequencyband (
    id integer NOT NULL,
    dataset integer NOT NULL,
    freq_central double precision NOT NULL,
    freq_low double precision NOT NULL,
    freq_high double precision NOT NULL,
    CONSTRAINT frequencyband_check CHECK (((freq_low <= freq_central) AND (freq_central <= freq_high)))
);


--
-- Name: TABLE frequencyband; Type: COMMENT; Schema: public; Owner: -
--

COMMENT ON TABLE public.frequencyband IS 'Frequency bands (Hz); images whose [freq_eff -/+ freq_bw/2] overlap share a band.';


--
-- Name: frequencyband_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.frequencyband_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: frequencyband_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.frequencyband_id_seq OWNED BY public.frequencyband.id;


--
-- Name: image_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.image_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: image_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.image_id_seq OWNED BY public.image.id;


--
-- Name: lightcurve; Type: VIEW; Schema: public; Owner: -
--

CREATE VIEW public.lightcurve AS
 SELECT a.runcat,
    i.taustart_ts,
    i.band,
    i.freq_eff,
    i.stokes,
    x.f_peak,
    x.f_peak_err,
    x.f_int,
    x.f_int_err,
    x.extract_type,
    a.type AS assoc_type,
    a.r,
    a.distance_arcsec,
    a.v_int,
    a.eta_int,
    x.ra,
    x.decl,
    a.xtrsrc,
    x.image,
    i.dataset
   FROM ((public.assocxtrsource a
     JOIN public.extractedsource x ON ((x.id = a.xtrsrc)))
     JOIN public.image i ON ((i.id = x.image)));


--
-- Name: VIEW lightcurve; Type: COMMENT; Schema: public; Owner: -
--

COMMENT ON VIEW public.lightcurve IS 'Every measurement of every lightcurve: filter on runcat and order by taustart_ts, freq_eff, xtrsrc. Fluxes Jy, freq_eff Hz, ra/decl deg, distance_arcsec arcsec, r (De Ruiter) dimensionless; extract_type 0 blind, 1 null-detection fit, 2 monitoring fit; assoc_type as in assocxtrsource.';


--
-- Name: monitor; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.monitor (
    id integer NOT NULL,
    dataset integer NOT NULL,
    runcat integer,
    ra double precision NOT NULL,
    decl double precision NOT NULL,
    name text,
    CONSTRAINT monitor_decl_check CHECK (((decl >= ('-90'::integer)::double precision) AND (decl <= (90)::double precision))),
    CONSTRAINT monitor_ra_check CHECK (((ra >= (0)::double precision) AND (ra < (360)::double precision)))
);


--
-- Name: TABLE monitor; Type: COMMENT; Schema: public; Owner: -
--

COMMENT ON TABLE public.monitor IS 'User-requested positions (deg) to force-fit in every image of the dataset.';


--
-- Name: monitor_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.monitor_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: monitor_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.monitor_id_seq OWNED BY public.monitor.id;


--
-- Name: newsource_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.newsource_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: newsource_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.newsource_id_seq OWNED BY public.newsource.id;


--
-- Name: rejection; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.rejection (
    id integer NOT NULL,
    image integer NOT NULL,
    rejectreason integer NOT NULL,
    comment text
);


--
-- Name: rejection_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.rejection_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: rejection_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.rejection_id_seq OWNED BY public.rejection.id;


--
-- Name: rejectreason; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.rejectreason (
    id integer NOT NULL,
    description text NOT NULL
);


--
-- Name: runningcatalog_flux; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.runningcatalog_flux (
    id integer NOT NULL,
    runcat integer NOT NULL,
    band integer NOT NULL,
    stokes smallint DEFAULT 1 NOT NULL,
    f_datapoints integer NOT NULL,
    avg_f_peak double precision,
    avg_f_peak_sq double precision,
    avg_f_peak_weight double precision,
    avg_weighted_f_peak double precision,
    avg_weighted_f_peak_sq double precision,
    avg_f_int double precision,
    avg_f_int_sq double precision,
    avg_f_int_weight double precision,
    avg_weighted_f_int double precision,
    avg_weighted_f_int_sq double precision
)
WITH (fillfactor='75');


--
-- Name: TABLE runningcatalog_flux; Type: COMMENT; Schema: public; Owner: -
--

COMMENT ON TABLE public.runningcatalog_flux IS 'Running flux means per lightcurve, band and Stokes (Jy, Jy^2, weights 1/err^2 in Jy^-2) over f_datapoints measurements.';


--
-- Name: runningcatalog_flux_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.runningcatalog_flux_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: runningcatalog_flux_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.runningcatalog_flux_id_seq OWNED BY public.runningcatalog_flux.id;


--
-- Name: runningcatalog_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.runningcatalog_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: runningcatalog_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.runningcatalog_id_seq OWNED BY public.runningcatalog.id;


--
-- Name: skyregion; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.skyregion (
    id integer NOT NULL,
    dataset integer NOT NULL,
    centre_ra double precision NOT NULL,
    centre_decl double precision NOT NULL,
    xtr_radius double precision NOT NULL,
    x double precision GENERATED ALWAYS AS ((cos(radians(centre_decl)) * cos(radians(centre_ra)))) STORED,
    y double precision GENERATED ALWAYS AS ((cos(radians(centre_decl)) * sin(radians(centre_ra)))) STORED,
    z double precision GENERATED ALWAYS AS (sin(radians(centre_decl))) STORED,
    centre public.spoint GENERATED ALWAYS AS (public.spoint(radians(centre_ra), radians(centre_decl))) STORED,
    region public.scircle GENERATED ALWAYS AS (public.scircle(public.spoint(radians(centre_ra), radians(centre_decl)), radians(xtr_radius))) STORED,
    CONSTRAINT skyregion_centre_decl_check CHECK (((centre_decl >= ('-90'::integer)::double precision) AND (centre_decl <= (90)::double precision))),
    CONSTRAINT skyregion_centre_ra_check CHECK (((centre_ra >= (0)::double precision) AND (centre_ra < (360)::double precision))),
    CONSTRAINT skyregion_xtr_radius_check CHECK (((xtr_radius > (0)::double precision) AND (xtr_radius <= (90)::double precision)))
);


--
-- Name: TABLE skyregion; Type: COMMENT; Schema: public; Owner: -
--

COMMENT ON TABLE public.skyregion IS 'Extraction regions (deg): the circle of radius xtr_radius around an image centre.';


--
-- Name: skyregion_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.skyregion_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: skyregion_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.skyregion_id_seq OWNED BY public.skyregion.id;


--
-- Name: suspect_transients; Type: VIEW; Schema: public; Owner: -
--

CREATE VIEW public.suspect_transients AS
 SELECT d.id AS dataset,
    s.runcat,
    s.fork_image,
    s.parent_runcat,
    s.base_xtrsrc,
    s.children,
    s.parent_avg_f_int,
    s.base_f_int,
    s.children_f_int,
    s.split_ratio,
    s.step_ratio,
    s.newsource
   FROM (public.dataset d
     CROSS JOIN LATERAL public.suspect_transients_of(d.id) s(runcat, fork_image, parent_runcat, base_xtrsrc, children, parent_avg_f_int, base_f_int, children_f_int, split_ratio, step_ratio, newsource));


--
-- Name: VIEW suspect_transients; Type: COMMENT; Schema: public; Owner: -
--

COMMENT ON VIEW public.suspect_transients IS 'suspect_transients_of(dataset, 0.3) for every dataset.';


--
-- Name: temprunningcatalog; Type: TABLE; Schema: public; Owner: -
--

CREATE UNLOGGED TABLE public.temprunningcatalog (
    image integer NOT NULL,
    runcat integer NOT NULL,
    xtrsrc bigint NOT NULL,
    dataset integer NOT NULL,
    band integer NOT NULL,
    stokes smallint NOT NULL,
    distance_arcsec double precision NOT NULL,
    r double precision NOT NULL,
    datapoints integer NOT NULL,
    wm_ra double precision NOT NULL,
    wm_decl double precision NOT NULL,
    wm_uncertainty_ew double precision NOT NULL,
    wm_uncertainty_ns double precision NOT NULL,
    avg_ra_err double precision NOT NULL,
    avg_decl_err double precision NOT NULL,
    avg_wra double precision NOT NULL,
    avg_wdecl double precision NOT NULL,
    avg_weight_ra double precision NOT NULL,
    avg_weight_decl double precision NOT NULL,
    inactive boolean DEFAULT false NOT NULL,
    assoc_type smallint DEFAULT 3 NOT NULL,
    new_runcat integer,
    f_datapoints integer NOT NULL,
    avg_f_peak double precision,
    avg_f_peak_sq double precision,
    avg_f_peak_weight double precision,
    avg_weighted_f_peak double precision,
    avg_weighted_f_peak_sq double precision,
    avg_f_int double precision,
    avg_f_int_sq double precision,
    avg_f_int_weight double precision,
    avg_weighted_f_int double precision,
    avg_weighted_f_int_sq double precision
)
WITH (autovacuum_vacuum_scale_factor='0.0', autovacuum_vacuum_threshold='20000');


--
-- Name: TABLE temprunningcatalog; Type: COMMENT; Schema: public; Owner: -
--

COMMENT ON TABLE public.temprunningcatalog IS 'Candidate (runcat, extraction) pairs of the association in progress, with the runcat aggregates as they would be after adding the pair. Empty between calls.';


--
-- Name: varmetric; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.varmetric (
    id integer NOT NULL,
    runcat integer NOT NULL,
    v_int double precision,
    eta_int double precision,
    band integer,
    newsource integer,
    sigma_rms_max double precision,
    sigma_rms_min double precision,
    lightcurve_max double precision,
    lightcurve_avg double precision,
    lightcurve_median double precision
)
WITH (fillfactor='60');


--
-- Name: TABLE varmetric; Type: COMMENT; Schema: public; Owner: -
--

COMMENT ON TABLE public.varmetric IS 'One row per lightcurve, kept current by every association call (assoc_update_varmetric): V and eta of its latest measurement, lightcurve statistics of f_int in that band and its newsource significance.';


--
-- Name: COLUMN varmetric.v_int; Type: COMMENT; Schema: public; Owner: -
--

COMMENT ON COLUMN public.varmetric.v_int IS 'V of f_int after the latest measurement (ties: highest f_int, then freq_eff, then extraction id).';


--
-- Name: COLUMN varmetric.eta_int; Type: COMMENT; Schema: public; Owner: -
--

COMMENT ON COLUMN public.varmetric.eta_int IS 'eta of f_int after the same measurement as v_int.';


--
-- Name: COLUMN varmetric.band; Type: COMMENT; Schema: public; Owner: -
--

COMMENT ON COLUMN public.varmetric.band IS 'Band of that measurement; the lightcurve_* columns are over this band and its Stokes.';


--
-- Name: COLUMN varmetric.sigma_rms_max; Type: COMMENT; Schema: public; Owner: -
--

COMMENT ON COLUMN public.varmetric.sigma_rms_max IS 'Trigger f_peak / rms_max of the previous-limits image (dimensionless); NULL if not a new source.';


--
-- Name: COLUMN varmetric.sigma_rms_min; Type: COMMENT; Schema: public; Owner: -
--

COMMENT ON COLUMN public.varmetric.sigma_rms_min IS 'Trigger f_peak / rms_min of the previous-limits image (dimensionless); NULL if not a new source.';


--
-- Name: COLUMN varmetric.lightcurve_max; Type: COMMENT; Schema: public; Owner: -
--

COMMENT ON COLUMN public.varmetric.lightcurve_max IS 'Largest f_int (Jy) in the band.';


--
-- Name: COLUMN varmetric.lightcurve_avg; Type: COMMENT; Schema: public; Owner: -
--

COMMENT ON COLUMN public.varmetric.lightcurve_avg IS 'Mean f_int (Jy) in the band.';


--
-- Name: COLUMN varmetric.lightcurve_median; Type: COMMENT; Schema: public; Owner: -
--

COMMENT ON COLUMN public.varmetric.lightcurve_median IS 'Median f_int (Jy) in the band (mean of the two middle values for an even count).';


--
-- Name: varmetric_band; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.varmetric_band (
    runcat integer NOT NULL,
    band integer NOT NULL,
    stokes smallint NOT NULL,
    n integer NOT NULL,
    f_int_sorted double precision[] NOT NULL,
    f_int_sum double precision,
    latest_ts timestamp without time zone NOT NULL,
    latest_f_int double precision,
    latest_freq double precision NOT NULL,
    latest_xtrsrc bigint NOT NULL
)
WITH (fillfactor='60');
ALTER TABLE ONLY public.varmetric_band ALTER COLUMN f_int_sorted SET STORAGE EXTERNAL;


--
-- Name: TABLE varmetric_band; Type: COMMENT; Schema: public; Owner: -
--

COMMENT ON TABLE public.varmetric_band IS 'Incremental state of varmetric per lightcurve, band and Stokes: n measurements, their non-NULL f_int (Jy) ascending and their sum, and the latest measurement (time, f_int, freq_eff Hz, extraction id; ties broken as in varmetric).';


--
-- Name: COLUMN varmetric_band.n; Type: COMMENT; Schema: public; Owner: -
--

COMMENT ON COLUMN public.varmetric_band.n IS 'Measurements included; equals runningcatalog_flux.f_datapoints when in step.';


--
-- Name: varmetric_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.varmetric_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: varmetric_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.varmetric_id_seq OWNED BY public.varmetric.id;


--
-- Name: version; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.version (
    name text NOT NULL,
    value integer NOT NULL
);


--
-- Name: TABLE version; Type: COMMENT; Schema: public; Owner: -
--

COMMENT ON TABLE public.version IS 'Schema version (kept equal to the number of the newest migration).';


--
-- Name: assocskyrgn id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.assocskyrgn ALTER COLUMN id SET DEFAULT nextval('public.assocskyrgn_id_seq'::regclass);


--
-- Name: assocxtrsource id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.assocxtrsource ALTER COLUMN id SET DEFAULT nextval('public.assocxtrsource_id_seq'::regclass);


--
-- Name: dataset id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.dataset ALTER COLUMN id SET DEFAULT nextval('public.dataset_id_seq'::regclass);


--
-- Name: extractedsource id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.extractedsource ALTER COLUMN id SET DEFAULT nextval('public.extractedsource_id_seq'::regclass);


--
-- Name: frequencyband id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.frequencyband ALTER COLUMN id SET DEFAULT nextval('public.frequencyband_id_seq'::regclass);


--
-- Name: image id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.image ALTER COLUMN id SET DEFAULT nextval('public.image_id_seq'::regclass);


--
-- Name: monitor id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.monitor ALTER COLUMN id SET DEFAULT nextval('public.monitor_id_seq'::regclass);


--
-- Name: newsource id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.newsource ALTER COLUMN id SET DEFAULT nextval('public.newsource_id_seq'::regclass);


--
-- Name: rejection id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.rejection ALTER COLUMN id SET DEFAULT nextval('public.rejection_id_seq'::regclass);


--
-- Name: runningcatalog id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.runningcatalog ALTER COLUMN id SET DEFAULT nextval('public.runningcatalog_id_seq'::regclass);


--
-- Name: runningcatalog_flux id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.runningcatalog_flux ALTER COLUMN id SET DEFAULT nextval('public.runningcatalog_flux_id_seq'::regclass);


--
-- Name: skyregion id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.skyregion ALTER COLUMN id SET DEFAULT nextval('public.skyregion_id_seq'::regclass);


--
-- Name: varmetric id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.varmetric ALTER COLUMN id SET DEFAULT nextval('public.varmetric_id_seq'::regclass);


--
-- Name: alembic_version alembic_version_pkc; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.alembic_version
    ADD CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num);


--
-- Name: association_log association_log_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.association_log
    ADD CONSTRAINT association_log_pkey PRIMARY KEY (image);


--
-- Name: assocskyrgn assocskyrgn_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.assocskyrgn
    ADD CONSTRAINT assocskyrgn_pkey PRIMARY KEY (id);


--
-- Name: assocskyrgn assocskyrgn_runcat_skyrgn_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.assocskyrgn
    ADD CONSTRAINT assocskyrgn_runcat_skyrgn_key UNIQUE (runcat, skyrgn);


--
-- Name: assocxtrsource assocxtrsource_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.assocxtrsource
    ADD CONSTRAINT assocxtrsource_pkey PRIMARY KEY (id);


--
-- Name: assocxtrsource assocxtrsource_runcat_xtrsrc_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.assocxtrsource
    ADD CONSTRAINT assocxtrsource_runcat_xtrsrc_key UNIQUE (runcat, xtrsrc);


--
-- Name: dataset dataset_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.dataset
    ADD CONSTRAINT dataset_pkey PRIMARY KEY (id);


--
-- Name: extractedsource extractedsource_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.extractedsource
    ADD CONSTRAINT extractedsource_pkey PRIMARY KEY (id);


--
-- Name: fork_log fork_log_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.fork_log
    ADD CONSTRAINT fork_log_pkey PRIMARY KEY (runcat);


--
-- Name: frequencyband frequencyband_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.frequencyband
    ADD CONSTRAINT frequencyband_pkey PRIMARY KEY (id);


--
-- Name: image image_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.image
    ADD CONSTRAINT image_pkey PRIMARY KEY (id);


--
-- Name: monitor monitor_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.monitor
    ADD CONSTRAINT monitor_pkey PRIMARY KEY (id);


--
-- Name: newsource newsource_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.newsource
    ADD CONSTRAINT newsource_pkey PRIMARY KEY (id);


--
-- Name: newsource newsource_runcat_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.newsource
    ADD CONSTRAINT newsource_runcat_key UNIQUE (runcat);


--
-- Name: rejection rejection_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.rejection
    ADD CONSTRAINT rejection_pkey PRIMARY KEY (id);


--
-- Name: rejectreason rejectreason_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.rejectreason
    ADD CONSTRAINT rejectreason_pkey PRIMARY KEY (id);


--
-- Name: runningcatalog_flux runningcatalog_flux_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.runningcatalog_flux
    ADD CONSTRAINT runningcatalog_flux_pkey PRIMARY KEY (id);


--
-- Name: runningcatalog_flux runningcatalog_flux_runcat_band_stokes_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.runningcatalog_flux
    ADD CONSTRAINT runningcatalog_flux_runcat_band_stokes_key UNIQUE (runcat, band, stokes);


--
-- Name: runningcatalog runningcatalog_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.runningcatalog
    ADD CONSTRAINT runningcatalog_pkey PRIMARY KEY (id);


--
-- Name: runningcatalog runningcatalog_xtrsrc_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.runningcatalog
    ADD CONSTRAINT runningcatalog_xtrsrc_key UNIQUE (xtrsrc);


--
-- Name: skyregion skyregion_dataset_centre_ra_centre_decl_xtr_radius_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.skyregion
    ADD CONSTRAINT skyregion_dataset_centre_ra_centre_decl_xtr_radius_key UNIQUE (dataset, centre_ra, centre_decl, xtr_radius);


--
-- Name: skyregion skyregion_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.skyregion
    ADD CONSTRAINT skyregion_pkey PRIMARY KEY (id);


--
-- Name: varmetric_band varmetric_band_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.varmetric_band
    ADD CONSTRAINT varmetric_band_pkey PRIMARY KEY (runcat, band, stokes);


--
-- Name: varmetric varmetric_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.varmetric
    ADD CONSTRAINT varmetric_pkey PRIMARY KEY (id);


--
-- Name: varmetric varmetric_runcat_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.varmetric
    ADD CONSTRAINT varmetric_runcat_key UNIQUE (runcat);


--
-- Name: version version_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.version
    ADD CONSTRAINT version_pkey PRIMARY KEY (name);


--
-- Name: assocskyrgn_skyrgn; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX assocskyrgn_skyrgn ON public.assocskyrgn USING btree (skyrgn);


--
-- Name: assocxtrsource_xtrsrc; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX assocxtrsource_xtrsrc ON public.assocxtrsource USING btree (xtrsrc);


--
-- Name: extractedsource_ff_monitor; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX extractedsource_ff_monitor ON public.extractedsource USING btree (ff_monitor) WHERE (ff_monitor IS NOT NULL);


--
-- Name: extractedsource_ff_runcat; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX extractedsource_ff_runcat ON public.extractedsource USING btree (ff_runcat) WHERE (ff_runcat IS NOT NULL);


--
-- Name: extractedsource_image; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX extractedsource_image ON public.extractedsource USING btree (image);


--
-- Name: extractedsource_pos; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX extractedsource_pos ON public.extractedsource USING gist (public.spoint(radians(ra), radians(decl)));


--
-- Name: fork_log_image; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX fork_log_image ON public.fork_log USING btree (image, parent_runcat);


--
-- Name: frequencyband_dataset; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX frequencyband_dataset ON public.frequencyband USING btree (dataset);


--
-- Name: image_dataset; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX image_dataset ON public.image USING btree (dataset);


--
-- Name: image_history; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX image_history ON public.image USING btree (skyrgn, band, stokes, taustart_ts);


--
-- Name: monitor_dataset; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX monitor_dataset ON public.monitor USING btree (dataset);


--
-- Name: monitor_runcat; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX monitor_runcat ON public.monitor USING btree (runcat) WHERE (runcat IS NOT NULL);


--
-- Name: rejection_image; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX rejection_image ON public.rejection USING btree (image);


--
-- Name: runningcatalog_anchor; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX runningcatalog_anchor ON public.runningcatalog USING gist (anchor) WHERE (NOT mon_src);


--
-- Name: skyregion_region; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX skyregion_region ON public.skyregion USING gist (dataset, region);


--
-- Name: temprunningcatalog_image; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX temprunningcatalog_image ON public.temprunningcatalog USING btree (image, xtrsrc);


--
-- Name: association_log association_log_image_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.association_log
    ADD CONSTRAINT association_log_image_fkey FOREIGN KEY (image) REFERENCES public.image(id) ON DELETE CASCADE;


--
-- Name: extractedsource extractedsource_ff_monitor_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.extractedsource
    ADD CONSTRAINT extractedsource_ff_monitor_fkey FOREIGN KEY (ff_monitor) REFERENCES public.monitor(id) ON DELETE SET NULL;


--
-- Name: extractedsource extractedsource_ff_runcat_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.extractedsource
    ADD CONSTRAINT extractedsource_ff_runcat_fkey FOREIGN KEY (ff_runcat) REFERENCES public.runningcatalog(id) ON DELETE SET NULL;


--
-- Name: fork_log fork_log_image_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.fork_log
    ADD CONSTRAINT fork_log_image_fkey FOREIGN KEY (image) REFERENCES public.image(id) ON DELETE CASCADE;


--
-- Name: frequencyband frequencyband_dataset_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.frequencyband
    ADD CONSTRAINT frequencyband_dataset_fkey FOREIGN KEY (dataset) REFERENCES public.dataset(id) ON DELETE CASCADE;


--
-- Name: image image_band_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.image
    ADD CONSTRAINT image_band_fkey FOREIGN KEY (band) REFERENCES public.frequencyband(id);


--
-- Name: image image_dataset_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.image
    ADD CONSTRAINT image_dataset_fkey FOREIGN KEY (dataset) REFERENCES public.dataset(id) ON DELETE CASCADE;


--
-- Name: image image_skyrgn_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.image
    ADD CONSTRAINT image_skyrgn_fkey FOREIGN KEY (skyrgn) REFERENCES public.skyregion(id);


--
-- Name: monitor monitor_dataset_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.monitor
    ADD CONSTRAINT monitor_dataset_fkey FOREIGN KEY (dataset) REFERENCES public.dataset(id) ON DELETE CASCADE;


--
-- Name: monitor monitor_runcat_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.monitor
    ADD CONSTRAINT monitor_runcat_fkey FOREIGN KEY (runcat) REFERENCES public.runningcatalog(id) ON DELETE SET NULL;


--
-- Name: newsource newsource_previous_limits_image_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.newsource
    ADD CONSTRAINT newsource_previous_limits_image_fkey FOREIGN KEY (previous_limits_image) REFERENCES public.image(id) ON DELETE CASCADE;


--
-- Name: newsource newsource_runcat_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.newsource
    ADD CONSTRAINT newsource_runcat_fkey FOREIGN KEY (runcat) REFERENCES public.runningcatalog(id) ON DELETE CASCADE;


--
-- Name: newsource newsource_trigger_xtrsrc_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.newsource
    ADD CONSTRAINT newsource_trigger_xtrsrc_fkey FOREIGN KEY (trigger_xtrsrc) REFERENCES public.extractedsource(id) ON DELETE CASCADE;


--
-- Name: rejection rejection_image_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.rejection
    ADD CONSTRAINT rejection_image_fkey FOREIGN KEY (image) REFERENCES public.image(id) ON DELETE CASCADE;


--
-- Name: rejection rejection_rejectreason_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.rejection
    ADD CONSTRAINT rejection_rejectreason_fkey FOREIGN KEY (rejectreason) REFERENCES public.rejectreason(id);


--
-- Name: skyregion skyregion_dataset_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.skyregion
    ADD CONSTRAINT skyregion_dataset_fkey FOREIGN KEY (dataset) REFERENCES public.dataset(id) ON DELETE CASCADE;


--
-- Name: varmetric varmetric_newsource_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.varmetric
    ADD CONSTRAINT varmetric_newsource_fkey FOREIGN KEY (newsource) REFERENCES public.newsource(id) ON DELETE SET NULL;


--
-- PostgreSQL database dump complete
--


INSERT INTO public.alembic_version (version_num) VALUES ('0003');
