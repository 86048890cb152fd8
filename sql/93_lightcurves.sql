-- 93_lightcurves.sql: lightcurves, their heritage and dataset statistics (read side), plus
-- the small log that association writes so that the statistics can count its events.
--
-- Reads:  assocxtrsource, extractedsource, image, runningcatalog, newsource, and the two log
--         tables below (association reads the image's forked pairs and their links by key).
-- Writes: association_log (one row per associated image: the counts associate_image returns;
--         an image with a row is associated and is never associated again), fork_log (one row
--         per lightcurve born by a fork), through assoc_record_events, called by
--         associate_image before its cleanup stage (tables: 01_schema.sql).
-- Invariant: the logs only grow with association; they hold what the final state forgets
--            (pruned many-to-many pairs, which runcat a fork replaced and the parent's mean
--            flux at that moment). Deleting an image deletes its log rows (foreign key).
--
-- Objects:
--   lightcurve                       view: every measurement of every lightcurve (filter by runcat)
--   lightcurve_component(runcat)     the lightcurves sharing measurements with it, transitively
--   lightcurve_heritage_points(runcat) the measurements of that component (for heritage graphs)
--   dataset_statistics               view: measurements made and counted, over-counting, events
--   suspect_transients_of(dataset, tolerance), view suspect_transients: fork flux splits

CREATE OR REPLACE VIEW lightcurve AS
SELECT a.runcat, i.taustart_ts, i.band, i.freq_eff, i.stokes,
       x.f_peak, x.f_peak_err, x.f_int, x.f_int_err, x.extract_type,
       a.type AS assoc_type, a.r, a.distance_arcsec, a.v_int, a.eta_int,
       x.ra, x.decl, a.xtrsrc, x.image, i.dataset, a.flux_fraction
FROM assocxtrsource a
JOIN extractedsource x ON x.id = a.xtrsrc
JOIN image i ON i.id = x.image;
COMMENT ON VIEW lightcurve IS 'Every measurement of every lightcurve: filter on runcat and order by '
    'taustart_ts, freq_eff, xtrsrc. Fluxes Jy, freq_eff Hz, ra/decl deg, distance_arcsec arcsec, '
    'r (De Ruiter) dimensionless; extract_type 0 blind, 1 null-detection fit, 2 monitoring fit; '
    'assoc_type as in assocxtrsource; flux_fraction the share of the measurement''s fluxes this '
    'lightcurve holds (1 unless flux division divided it: its statistics use f x flux_fraction).';

CREATE OR REPLACE FUNCTION lightcurve_component(p_runcat integer)
RETURNS TABLE (runcat integer)
LANGUAGE sql STABLE
AS $$
    -- Connected component of the runcat in the bipartite runcat-extraction graph: lightcurves
    -- that share a measurement (fork copies, types 2/6; many-to-one links, type 3), transitively.
    -- Each step expands only the runcats found by the previous step (UNION drops the rest),
    -- by index probes (LATERAL ... OFFSET 0: the planner cannot know the component is small).
    WITH RECURSIVE component (runcat) AS (
        SELECT id FROM runningcatalog WHERE id = p_runcat
        UNION
        SELECT b.runcat
        FROM component c
        CROSS JOIN LATERAL (SELECT a.xtrsrc FROM assocxtrsource a
                            WHERE a.runcat = c.runcat OFFSET 0) a
        CROSS JOIN LATERAL (SELECT b.runcat FROM assocxtrsource b
                            WHERE b.xtrsrc = a.xtrsrc OFFSET 0) b
    )
    SELECT runcat FROM component
$$;
COMMENT ON FUNCTION lightcurve_component(integer) IS
    'The runcats connected to this one through shared measurements (itself included; none if it does not exist).';

CREATE OR REPLACE FUNCTION lightcurve_heritage_points(p_runcat integer)
RETURNS TABLE (runcat integer, xtrsrc bigint, assoc_type smallint, taustart_ts timestamp,
               band integer, freq_central double precision, freq_eff double precision,
               stokes smallint, f_int double precision)
LANGUAGE sql STABLE
AS $$
    -- The rows of the view lightcurve for the component, read by per-row probes (LATERAL ...
    -- OFFSET 0): the component's size is unknown to the planner, and a join to the view let
    -- it hash whole tables (every link and extraction of the database) for a few rows.
    SELECT a.runcat, a.xtrsrc, a.type, i.taustart_ts, i.band, fb.freq_central,
           i.freq_eff, i.stokes, x.f_int
    FROM lightcurve_component(p_runcat) c
    CROSS JOIN LATERAL (SELECT a.runcat, a.xtrsrc, a.type FROM assocxtrsource a
                        WHERE a.runcat = c.runcat OFFSET 0) a
    CROSS JOIN LATERAL (SELECT x.image, x.f_int FROM extractedsource x
                        WHERE x.id = a.xtrsrc OFFSET 0) x
    JOIN image i ON i.id = x.image
    JOIN frequencyband fb ON fb.id = i.band
    ORDER BY a.runcat, i.band, i.stokes, i.taustart_ts, i.freq_eff, a.xtrsrc
$$;
COMMENT ON FUNCTION lightcurve_heritage_points(integer) IS
    'Measurements of every lightcurve of the runcat''s component, per runcat, band and Stokes in '
    'time order (freq Hz, f_int Jy): the input of a heritage graph.';

-- ---------------------------------------------------------------------------------------
-- Association log

-- The two log tables (association_log, fork_log) are created with the others in 01_schema.sql.

CREATE OR REPLACE FUNCTION assoc_record_events(
    p_image integer, p_candidates integer, p_one_to_one integer, p_one_to_many integer,
    p_many_to_one integer, p_many_to_many_pruned integer, p_new_sources integer,
    p_new_transient_candidates integer, p_mode text DEFAULT 'trap', p_flux_division text DEFAULT 'none')
RETURNS void
LANGUAGE plpgsql VOLATILE
SET jit = off  -- compiling costs more than this statement runs: see 80_associate_image.sql
AS $$
BEGIN
    -- Called by associate_image after the stages and before the cleanup: the forked pairs are
    -- still in temprunningcatalog (assoc_type 2, runcat = the replaced runcat, new_runcat = the
    -- child), and each child's type 6 links are the parent's history.
    PERFORM assoc_stage_guard(p_image, 'assoc_record_events');   -- 07_stage_guards.sql

    INSERT INTO association_log (image, candidates, one_to_one, one_to_many, many_to_one,
                                 many_to_many_pruned, new_sources, new_transient_candidates,
                                 mode, flux_division)
    VALUES (p_image, p_candidates, p_one_to_one, p_one_to_many, p_many_to_one,
            p_many_to_many_pruned, p_new_sources, p_new_transient_candidates, p_mode, p_flux_division);

    -- the parent's measurements in the fork image's band: the child's type 6 links of that
    -- band, read through the lightcurve index (a probe per fork: a join read every link); the
    -- parent's own fluxes, before the child's share of them (35_flux_division.sql)
    INSERT INTO fork_log (runcat, parent_runcat, image, xtrsrc, parent_f_datapoints, parent_avg_f_int,
                          history_fraction)
    SELECT t.new_runcat, t.runcat, p_image, t.xtrsrc, h.n, h.avg_f_int / t.history_fraction,
           t.history_fraction
    FROM temprunningcatalog t
    CROSS JOIN LATERAL (SELECT count(*) AS n, avg(a.f_int) AS avg_f_int FROM assocxtrsource a
                        WHERE a.runcat = t.new_runcat AND a.band = t.band AND a.stokes = t.stokes
                          AND a.type = 6) h
    WHERE t.image = p_image AND t.assoc_type = 2 AND t.new_runcat IS NOT NULL;
END
$$;
COMMENT ON FUNCTION assoc_record_events(integer, integer, integer, integer, integer, integer, integer, integer, text, text) IS
    'Record the counts of an image''s association and its forks (association_log, fork_log).';

-- ---------------------------------------------------------------------------------------
-- Suspect transients: flux splits at forks

CREATE OR REPLACE FUNCTION suspect_transients_of(p_dataset integer,
                                                 p_tolerance double precision DEFAULT 0.3)
RETURNS TABLE (runcat integer, fork_image integer, parent_runcat integer, base_xtrsrc bigint,
               children integer, parent_avg_f_int double precision, base_f_int double precision,
               children_f_int double precision, split_ratio double precision,
               step_ratio double precision, newsource integer)
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
        SELECT f.image, f.parent_runcat, f.xtrsrc, f.parent_avg_f_int, x.f_int, f.history_fraction,
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
          -- with flux division each child's history holds its share of the flux: no step
          AND history_fraction = 1
    )
    SELECT a.runcat, s.image, s.parent_runcat, s.xtrsrc, s.children::integer,
           s.parent_avg_f_int, s.f_int, s.children_f_int,
           s.children_f_int / s.parent_avg_f_int, s.f_int / s.parent_avg_f_int, ns.id
    FROM splits s
    JOIN assocxtrsource a ON a.xtrsrc = s.xtrsrc
    LEFT JOIN newsource ns ON ns.runcat = a.runcat
    ORDER BY a.runcat, s.image, s.xtrsrc
$$;
COMMENT ON FUNCTION suspect_transients_of(integer, double precision) IS
    'Lightcurves of the dataset whose flux steps at a fork that split one source''s flux among its '
    'children (children''s base-point f_int summing to the parent''s mean within the tolerance, '
    'a fraction): false-transient candidates. Fluxes in Jy.';

CREATE OR REPLACE VIEW suspect_transients AS
SELECT d.id AS dataset, s.*
FROM dataset d
CROSS JOIN LATERAL suspect_transients_of(d.id) s;
COMMENT ON VIEW suspect_transients IS 'suspect_transients_of(dataset, 0.3) for every dataset.';

-- ---------------------------------------------------------------------------------------
-- Dataset statistics

CREATE OR REPLACE VIEW dataset_statistics AS
SELECT d.id AS dataset,
       made.n AS measurements_made,
       counted.links AS measurements_counted,
       -- shares such as 1/3 + 2/3 add up to 1 only to rounding: below 1e-12 it is 0
       CASE WHEN abs(counted.allotted / nullif(made.n, 0) - 1.0) < 1e-12 THEN 0.0
            ELSE counted.allotted / nullif(made.n, 0) - 1.0 END AS overcounting_fraction,
       counted.lightcurves,
       events.images_associated,
       events.one_to_many AS one_to_many_events,
       events.many_to_one AS many_to_one_events,
       events.many_to_many_pruned AS many_to_many_events,
       candidates.n AS transient_candidates,
       suspects.n AS suspect_transients,
       counted.allotted AS measurements_allotted
FROM dataset d
CROSS JOIN LATERAL (
    SELECT count(*) AS n FROM image i JOIN extractedsource x ON x.image = i.id
    WHERE i.dataset = d.id) made
CROSS JOIN LATERAL (
    SELECT count(DISTINCT rc.id) AS lightcurves, count(a.runcat) AS links,
           coalesce(sum(a.flux_fraction), 0.0) AS allotted
    FROM runningcatalog rc LEFT JOIN assocxtrsource a ON a.runcat = rc.id
    WHERE rc.dataset = d.id) counted
CROSS JOIN LATERAL (
    SELECT count(*) AS images_associated,
           coalesce(sum(l.one_to_many), 0) AS one_to_many,
           coalesce(sum(l.many_to_one), 0) AS many_to_one,
           coalesce(sum(l.many_to_many_pruned), 0) AS many_to_many_pruned
    FROM image i JOIN association_log l ON l.image = i.id
    WHERE i.dataset = d.id) events
CROSS JOIN LATERAL (
    SELECT count(*) AS n FROM runningcatalog rc JOIN newsource ns ON ns.runcat = rc.id
    WHERE rc.dataset = d.id) candidates
CROSS JOIN LATERAL (
    SELECT count(DISTINCT s.runcat) AS n FROM suspect_transients_of(d.id) s) suspects;
COMMENT ON VIEW dataset_statistics IS 'Per dataset: measurements_made (extractions of its images, '
    'blind and forced), measurements_counted (links of all its lightcurves), overcounting_fraction '
    '= allotted/made - 1 (0 when no measurement is shared or every shared one is divided), '
    'lightcurves, images_associated, '
    'one_to_many_events (runcats forked), many_to_one_events (extractions appended to several '
    'runcats in one image), many_to_many_events (candidate pairs pruned), transient_candidates '
    '(newsource rows), suspect_transients (lightcurves listed by suspect_transients) and '
    'measurements_allotted (the links'' flux shares summed: measurements_counted less what flux '
    'division took off shared measurements).';
