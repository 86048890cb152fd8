-- 25_resolved.sql: stage 2 of the resolved mode, each image's candidate graph resolved as a whole.
--
-- Reads:  temprunningcatalog (the image's candidate pairs), image (the beams of the dataset's
--         associated images), and by key: runningcatalog, runningcatalog_flux, extractedsource,
--         assocxtrsource (the beams that built a runcat: its links' images).
-- Writes: temprunningcatalog: inactive = true on the pairs the resolution sets aside,
--         evidence = true on the pairs of genuine forks and blends, and the pairs of a fork
--         whose extractions lie beyond the De Ruiter radius of the blend (assoc_candidates with
--         explicit pairs, 10_candidates.sql).
-- Invariant: afterwards each extraction and each runcat has at most one active pair, except the
--            pairs with evidence: a runcat the image resolves into several sources (stage 3
--            forks it, 30_one_to_many.sql) and an extraction that blends several known sources
--            (stage 4 appends it to each, 40_one_to_one.sql); flux division then shares their
--            flux (35_flux_division.sql). The outcome depends on positions, fluxes and beams only,
--            never on row ids or the order of rows.
--
-- Used instead of stage 2 (20_many_to_many.sql) when associate_image runs with mode 'resolved'.
--
-- 1. Evidence. Only an image whose beam differs from the beams before it can resolve or blend:
--    * fork: the image's beam (rb_smaj) is smaller than every beam that built runcat R (the
--      rb_smaj of its links' images); k >= 2 extractions whose nearest runcat is R lie within
--      beamwidths_limit x R's smallest old rb_smaj of it; each two of them are further apart
--      than the image's beam FWHM (2 rb_smaj: resolved); and, when R has a flux in the image's
--      band and Stokes, their f_int add up to its mean: |sum - mean| <= max(0.3 |mean|,
--      3 sigma). Only the nearest runcat can claim an extraction, so a component already
--      followed by a lightcurve of its own is never taken from it. The extractions need not be
--      De Ruiter candidates of R: a blend's position lies between its components.
--    * blend: the image's beam is larger than the smallest beam of each of k >= 2 runcats
--      within the search radius (beamwidths_limit x rb_smaj) of one extraction, their nearest
--      (each was resolved before; De Ruiter candidates or not); and, when each has a flux in
--      the band, their means add up to the extraction's f_int (the same tolerance).
--    No bound on the separations of a fork's or a blend's members beyond that: a finder
--    blends friends of friends (chains longer than a beam), and a fork child's weighted mean
--    holds only its own measurements (35_flux_division.sql), so the members of one source
--    group keep their own positions.
--    Pairs with evidence are kept; every other pair of their runcats and extractions is set
--    aside. In an image of the same beam as all before (most surveys) neither test reads
--    anything but the dataset's image rows.
-- 2. Assignment. The other pairs form a bipartite graph; per connected component (labels by a
--    recursive walk over the shared runcats and extractions) the links chosen are those with the
--    largest number of links, then the smallest total cost, where a pair's cost is the
--    negative log-likelihood of the measurement given the runcat (up to constants):
--        cost = r^2 + min(chi2_flux, 10^4),
--        chi2_flux = (f_int - mean)^2 / (f_int_err^2 + var + (t mean)^2)
--    with r the De Ruiter radius, mean and var the runcat's mean and variance of f_int in the
--    image's band and Stokes, t = 0.1 (calibration errors, intrinsic variability); when the
--    runcat has no flux in that band yet, its band nearest in frequency with t = 0.5 (spectral
--    index); chi2_flux = 0 without any flux. Costs are compared rounded to 1e-6, so an assignment
--    symmetric on the sky is a tie, broken by the smallest vector of runcat ranks, extraction
--    by extraction, both ranked by (declination, RA) within the component: deterministic and
--    independent of ids. A component of one pair is its own assignment (no work). A component
--    whose assignments number at most resolve_enumeration_limit() (the product over its
--    extractions of candidates + 1) is solved set-based: a recursive CTE enumerates every
--    assignment, extraction by extraction, and keeps the best. A larger one (crowded fields) is
--    solved by the Hungarian method on its square cost matrix (assignment_hungarian, O(n^3) for
--    n nodes), with the same objective.
-- An extraction left without a pair starts a new lightcurve (stage 5); a runcat left without one
-- is a null detection (associate_nulldetections).
--
-- Cost: one probe of the extraction, runcat and flux row per pair of a component with several
-- pairs (about a tenth of the pairs on the benchmark's sky), the walk over those pairs, and the
-- enumeration, whose rows are the assignments (a 2 x 2 component has 7), each candidate found by
-- an index probe of the component table (without the index the enumeration scanned it once per
-- state: 299 ms instead of 59 ms on a 10,000-source image). Measured (docs/quality.md): this
-- stage ~60 ms where stage 2 takes ~20 ms, forks fewer; a W1 image costs 1.03x the TraP
-- mode's, end to end.

CREATE OR REPLACE FUNCTION resolve_enumeration_limit()
RETURNS integer
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN 4096;
COMMENT ON FUNCTION resolve_enumeration_limit() IS
    'Largest number of assignments of a component that the resolved mode enumerates; larger '
    'components are solved by assignment_hungarian. A session may lower it (tkpdb.resolve_'
    'enumeration_limit) to exercise the Hungarian path.';

CREATE OR REPLACE FUNCTION assoc_resolve(p_image integer, p_deruiter_radius double precision,
                                         p_beamwidths_limit double precision)
RETURNS integer
LANGUAGE plpgsql VOLATILE
SET jit = off  -- compiling costs more than this statement runs: see 80_associate_image.sql
AS $$
DECLARE
    n integer;
    limit_ integer := coalesce(nullif(current_setting('tkpdb.resolve_enumeration_limit', true), '')::integer,
                               resolve_enumeration_limit());
    c record;
    evidence_runcats integer[];   -- the nodes of genuine forks and blends (usually none)
    evidence_xtrsrcs bigint[];
    img_freq constant double precision := (SELECT freq_eff FROM image WHERE id = p_image);
BEGIN
    PERFORM assoc_stage_guard(p_image, 'assoc_resolve');   -- 07_stage_guards.sql
    PERFORM assoc_resolve_evidence(p_image, p_deruiter_radius, p_beamwidths_limit);
    evidence_runcats := ARRAY(SELECT DISTINCT e.runcat FROM temprunningcatalog e
                              WHERE e.image = p_image AND e.evidence);
    evidence_xtrsrcs := ARRAY(SELECT DISTINCT e.xtrsrc FROM temprunningcatalog e
                              WHERE e.image = p_image AND e.evidence);

    -- the pairs of a component with several pairs, their cost and ranks; computed once
    DROP TABLE IF EXISTS pg_temp.assoc_component;
    CREATE TEMPORARY TABLE assoc_component ON COMMIT DROP AS
    WITH free AS (
        -- pairs not fixed by evidence, whose nodes are in no evidence pair
        SELECT t.ctid AS row_id, t.runcat, t.xtrsrc, t.band, t.stokes, t.r,
               count(*) OVER (PARTITION BY t.xtrsrc) AS per_x,
               count(*) OVER (PARTITION BY t.runcat) AS per_r
        FROM temprunningcatalog t
        WHERE t.image = p_image AND NOT t.inactive
          AND t.xtrsrc <> ALL (evidence_xtrsrcs) AND t.runcat <> ALL (evidence_runcats)
    ), edge AS MATERIALIZED (
        SELECT * FROM free WHERE per_x > 1 OR per_r > 1
    ), walk AS (
        WITH RECURSIVE reach (start, xtrsrc) AS (
            SELECT DISTINCT xtrsrc, xtrsrc FROM edge
            UNION
            SELECT r.start, e2.xtrsrc
            FROM reach r
            JOIN edge e1 ON e1.xtrsrc = r.xtrsrc
            JOIN edge e2 ON e2.runcat = e1.runcat
        )
        SELECT xtrsrc, min(start) AS comp FROM reach GROUP BY xtrsrc
    )
    SELECT e.row_id, w.comp, e.runcat, e.xtrsrc,
           -- ranks by position to 1e-9 deg (3.6 micro-arcsec: a configuration symmetric on the
           -- sky ranks alike whatever the rounding of its coordinates), ids last
           dense_rank() OVER (PARTITION BY w.comp ORDER BY round(x.decl * 1e9), round(x.ra * 1e9),
                                                            e.xtrsrc) AS k,
           dense_rank() OVER (PARTITION BY w.comp ORDER BY round(rc.wm_decl * 1e9),
                                                            round(rc.wm_ra * 1e9), e.runcat) AS rrank,
           round(1e6 * (e.r ^ 2 + least(coalesce(
               (x.f_int - f.avg_f_int) ^ 2
               / nullif(x.f_int_err ^ 2 + greatest(f.avg_f_int_sq - f.avg_f_int ^ 2, 0.0)
                        + (f.tolerance * f.avg_f_int) ^ 2, 0.0), 0.0), 1e4)))::bigint AS cost
    FROM edge e
    JOIN walk w ON w.xtrsrc = e.xtrsrc
    CROSS JOIN LATERAL (SELECT x.ra, x.decl, x.f_int, x.f_int_err FROM extractedsource x
                        WHERE x.id = e.xtrsrc OFFSET 0) x
    CROSS JOIN LATERAL (SELECT rc.wm_ra, rc.wm_decl FROM runningcatalog rc
                        WHERE rc.id = e.runcat OFFSET 0) rc
    -- the runcat's flux in the image's band, else in its band nearest in frequency (a runcat
    -- has a few bands: the probe reads its flux rows by key)
    LEFT JOIN LATERAL (SELECT f.avg_f_int, f.avg_f_int_sq,
                              CASE WHEN f.band = e.band THEN 0.1 ELSE 0.5 END AS tolerance
                       FROM runningcatalog_flux f
                       JOIN frequencyband b ON b.id = f.band
                       WHERE f.runcat = e.runcat AND f.stokes = e.stokes AND f.f_datapoints > 0
                       ORDER BY f.band <> e.band, abs(b.freq_central - img_freq), f.band
                       LIMIT 1) f ON true;
    -- the enumeration looks up the candidates of one extraction of one component at a time
    CREATE INDEX ON assoc_component (comp, k);
    ANALYZE assoc_component;

    -- the pairs chosen: small components by enumeration, the others by the Hungarian method
    CREATE TEMPORARY TABLE IF NOT EXISTS assoc_chosen (row_id tid) ON COMMIT DROP;
    INSERT INTO assoc_chosen
    SELECT e.row_id FROM resolve_enumerate(limit_) e;
    FOR c IN SELECT comp, array_agg(k ORDER BY k, rrank) AS ks, array_agg(rrank ORDER BY k, rrank) AS rs,
                    array_agg(cost ORDER BY k, rrank) AS costs
             FROM assoc_component
             GROUP BY comp
             HAVING resolve_assignments(array_agg(k), array_agg(rrank)) > limit_
    LOOP
        INSERT INTO assoc_chosen
        SELECT a.row_id
        FROM unnest(assignment_hungarian(c.ks, c.rs, c.costs)) WITH ORDINALITY h(rrank, k)
        JOIN assoc_component a ON a.comp = c.comp AND a.k = h.k AND a.rrank = h.rrank;
    END LOOP;

    UPDATE temprunningcatalog SET inactive = true
    WHERE ctid = ANY (ARRAY(
        SELECT a.row_id FROM assoc_component a
        WHERE NOT EXISTS (SELECT FROM assoc_chosen ch WHERE ch.row_id = a.row_id)
        UNION ALL
        -- the other pairs of the nodes of a fork or blend
        SELECT t.ctid FROM temprunningcatalog t
        WHERE cardinality(evidence_runcats) > 0
          AND t.image = p_image AND NOT t.inactive AND NOT t.evidence
          AND (t.xtrsrc = ANY (evidence_xtrsrcs) OR t.runcat = ANY (evidence_runcats))));
    GET DIAGNOSTICS n = ROW_COUNT;
    DROP TABLE pg_temp.assoc_component;
    DROP TABLE pg_temp.assoc_chosen;
    RETURN n;
END
$$;
COMMENT ON FUNCTION assoc_resolve(integer, double precision, double precision) IS
    'Stage 2 of the resolved mode: keep the genuine forks and blends, then per connected component '
    'the optimal one-to-one assignment; returns the number of pairs set aside.';

CREATE OR REPLACE FUNCTION assoc_resolve_evidence(p_image integer, p_deruiter_radius double precision,
                                                  p_beamwidths_limit double precision)
RETURNS void
LANGUAGE plpgsql VOLATILE
SET jit = off  -- compiling costs more than this statement runs: see 80_associate_image.sql
-- key probes only (association_log, the flux rows, the links of a runcat), whatever statistics
-- taken when the tables were small say (tests/test_plans.py: a stale estimate of two rows made
-- the probe of association_log a sequential scan per image)
SET enable_seqscan = off
AS $$
-- Step 1 of the header: mark the pairs of genuine forks and blends (evidence = true), adding
-- those the candidate search did not find (beyond the De Ruiter radius: a blend's position is
-- its components' centroid).
DECLARE
    img record;
    larger double precision;    -- largest and smallest rb_smaj of the dataset's images
    smaller double precision;   -- associated before this one
    fork_runcats integer[] := '{}';
    fork_xtrsrcs bigint[] := '{}';
    blend_runcats integer[] := '{}';
    blend_xtrsrcs bigint[] := '{}';
BEGIN
    PERFORM assoc_stage_guard(p_image, 'assoc_resolve_evidence');   -- 07_stage_guards.sql
    SELECT i.dataset, i.rb_smaj, i.band, i.stokes INTO img FROM image i WHERE i.id = p_image;
    -- (one association_log probe per image of the dataset)
    SELECT max(j.rb_smaj), min(j.rb_smaj) INTO larger, smaller
    FROM image j
    CROSS JOIN LATERAL (SELECT FROM association_log l WHERE l.image = j.id OFFSET 0) l
    WHERE j.dataset = img.dataset AND j.id <> p_image;

    IF larger > img.rb_smaj THEN
        WITH near AS MATERIALIZED (
            -- the nearest runcat of each blind extraction within the largest old search radius
            SELECT DISTINCT ON (x.id) x.id AS xtrsrc, x.ra, x.decl, x.f_int, x.f_int_err,
                   rc.id AS runcat, degrees(rc.pos <-> spoint(radians(x.ra), radians(x.decl))) AS dist
            FROM extractedsource x
            CROSS JOIN LATERAL runcat_zone_search(img.dataset, x.ra, x.decl,
                                                  p_beamwidths_limit * larger + runcat_anchor_margin()) rc
            WHERE x.image = p_image AND x.extract_type = 0
              AND rc.pos <@ scircle(spoint(radians(x.ra), radians(x.decl)),
                                    radians(p_beamwidths_limit * larger))
            ORDER BY x.id, 7, rc.id
        ), member AS MATERIALIZED (
            -- runcats nearest to two or more extractions, every beam that built them larger
            -- than the image's, and those extractions within their old search radius
            SELECT n.*, b.smallest
            FROM (SELECT runcat FROM near GROUP BY runcat HAVING count(*) >= 2) m
            CROSS JOIN LATERAL runcat_smallest_beam(m.runcat) b(smallest)
            JOIN near n ON n.runcat = m.runcat
            WHERE b.smallest > img.rb_smaj AND n.dist <= p_beamwidths_limit * b.smallest
        ), fork AS (
            SELECT m.runcat
            FROM member m
            LEFT JOIN LATERAL (SELECT f.avg_f_int, f.avg_f_int_sq FROM runningcatalog_flux f
                               WHERE f.runcat = m.runcat AND f.band = img.band AND f.stokes = img.stokes
                                 AND f.f_datapoints > 0
                               OFFSET 0) f ON true
            GROUP BY m.runcat, m.smallest, f.avg_f_int, f.avg_f_int_sq
            HAVING count(*) >= 2
               AND NOT EXISTS (
                   SELECT FROM member a JOIN member b ON b.runcat = a.runcat AND b.xtrsrc > a.xtrsrc
                   WHERE a.runcat = m.runcat
                     AND degrees(spoint(radians(a.ra), radians(a.decl)) <-> spoint(radians(b.ra), radians(b.decl)))
                         < 2.0 * img.rb_smaj)
               AND flux_adds_up(f.avg_f_int, greatest(f.avg_f_int_sq - f.avg_f_int ^ 2, 0.0),
                                sum(m.f_int), sum(m.f_int_err ^ 2))
        )
        SELECT coalesce(array_agg(m.runcat ORDER BY m.runcat, m.xtrsrc), '{}'),
               coalesce(array_agg(m.xtrsrc ORDER BY m.runcat, m.xtrsrc), '{}')
        INTO fork_runcats, fork_xtrsrcs
        FROM member m JOIN fork f ON f.runcat = m.runcat;
    END IF;

    IF smaller < img.rb_smaj THEN
        WITH near AS MATERIALIZED (
            -- each runcat within the search radius of a blind extraction goes to its nearest
            -- extraction, unless one of them is in a fork
            SELECT DISTINCT ON (rc.id) x.id AS xtrsrc, x.f_int, x.f_int_err, rc.id AS runcat, rc.pos,
                   degrees(rc.pos <-> spoint(radians(x.ra), radians(x.decl))) AS dist
            FROM extractedsource x
            CROSS JOIN LATERAL runcat_zone_search(img.dataset, x.ra, x.decl,
                                                  p_beamwidths_limit * img.rb_smaj + runcat_anchor_margin()) rc
            WHERE x.image = p_image AND x.extract_type = 0
              AND rc.pos <@ scircle(spoint(radians(x.ra), radians(x.decl)),
                                    radians(p_beamwidths_limit * img.rb_smaj))
              AND x.id <> ALL (fork_xtrsrcs) AND rc.id <> ALL (fork_runcats)
            ORDER BY rc.id, 6, x.id
        ), member AS MATERIALIZED (
            -- those built with a beam smaller than the image's (resolved before)
            SELECT n.*, f.avg_f_int, f.avg_f_int_sq
            FROM (SELECT xtrsrc FROM near GROUP BY xtrsrc HAVING count(*) >= 2) m
            JOIN near n ON n.xtrsrc = m.xtrsrc
            CROSS JOIN LATERAL runcat_smallest_beam(n.runcat) b(smallest)
            LEFT JOIN LATERAL (SELECT f.avg_f_int, f.avg_f_int_sq FROM runningcatalog_flux f
                               WHERE f.runcat = n.runcat AND f.band = img.band AND f.stokes = img.stokes
                                 AND f.f_datapoints > 0
                               OFFSET 0) f ON true
            WHERE b.smallest < img.rb_smaj
        ), blend AS (
            SELECT m.xtrsrc
            FROM member m
            GROUP BY m.xtrsrc, m.f_int, m.f_int_err
            HAVING count(*) >= 2
               AND (bool_or(m.avg_f_int IS NULL)
                    OR flux_adds_up(sum(m.avg_f_int), sum(greatest(m.avg_f_int_sq - m.avg_f_int ^ 2, 0.0)),
                                    m.f_int, m.f_int_err ^ 2))
        )
        SELECT coalesce(array_agg(m.runcat ORDER BY m.xtrsrc, m.runcat), '{}'),
               coalesce(array_agg(m.xtrsrc ORDER BY m.xtrsrc, m.runcat), '{}')
        INTO blend_runcats, blend_xtrsrcs
        FROM member m JOIN blend b ON b.xtrsrc = m.xtrsrc;
    END IF;

    fork_runcats := fork_runcats || blend_runcats;
    fork_xtrsrcs := fork_xtrsrcs || blend_xtrsrcs;
    IF cardinality(fork_runcats) > 0 THEN
        -- the pairs the candidate search did not find (beyond the De Ruiter radius)
        PERFORM assoc_candidates(p_image, p_deruiter_radius, p_beamwidths_limit,
                                 ARRAY(SELECT u.r FROM unnest(fork_runcats, fork_xtrsrcs) u(r, x)
                                       WHERE NOT EXISTS (SELECT FROM temprunningcatalog t
                                                         WHERE t.image = p_image AND t.xtrsrc = u.x
                                                           AND t.runcat = u.r)
                                       ORDER BY u.x, u.r),
                                 ARRAY(SELECT u.x FROM unnest(fork_runcats, fork_xtrsrcs) u(r, x)
                                       WHERE NOT EXISTS (SELECT FROM temprunningcatalog t
                                                         WHERE t.image = p_image AND t.xtrsrc = u.x
                                                           AND t.runcat = u.r)
                                       ORDER BY u.x, u.r));
        UPDATE temprunningcatalog t SET evidence = true
        FROM unnest(fork_runcats, fork_xtrsrcs) u(r, x)
        WHERE t.image = p_image AND t.xtrsrc = u.x AND t.runcat = u.r;
    END IF;
END
$$;
COMMENT ON FUNCTION assoc_resolve_evidence(integer, double precision, double precision) IS
    'Resolved mode: mark the candidate pairs of genuine forks (the image resolves a runcat) and '
    'blends (the image blends several runcats); adds a fork''s pairs beyond the De Ruiter radius.';

CREATE OR REPLACE FUNCTION runcat_smallest_beam(p_runcat integer)
RETURNS double precision
LANGUAGE sql STABLE PARALLEL SAFE
AS $$
    -- the smallest restoring-beam semi-major axis (deg) of the images of a runcat's links, each
    -- row reached by key (a lightcurve is short; the whole link table is never read)
    SELECT min(i.rb_smaj)
    FROM (SELECT a.xtrsrc FROM assocxtrsource a WHERE a.runcat = p_runcat OFFSET 0) a
    CROSS JOIN LATERAL (SELECT x.image FROM extractedsource x WHERE x.id = a.xtrsrc OFFSET 0) x
    CROSS JOIN LATERAL (SELECT i.rb_smaj FROM image i WHERE i.id = x.image OFFSET 0) i
$$;
COMMENT ON FUNCTION runcat_smallest_beam(integer) IS
    'Smallest rb_smaj (deg) among the images of a runcat''s measurements.';

CREATE OR REPLACE FUNCTION flux_adds_up(p_mean double precision, p_var double precision,
                                        p_sum double precision, p_sum_err_sq double precision)
RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
    -- the flux test of a fork or blend: no flux to compare with (NULL mean) passes; otherwise
    -- |sum - mean| <= max(0.3 |mean|, 3 sqrt(sum of squared errors + variance)); Jy
    SELECT p_mean IS NULL OR p_sum IS NULL
        OR abs(p_sum - p_mean) <= greatest(0.3 * abs(p_mean),
                                           3.0 * sqrt(coalesce(p_sum_err_sq, 0.0)
                                                      + greatest(coalesce(p_var, 0.0), 0.0)))
$$;
COMMENT ON FUNCTION flux_adds_up(double precision, double precision, double precision, double precision) IS
    'Whether fluxes add up (fork: the components'' sum against the runcat''s mean and variance; '
    'blend: the runcats'' sum against the extraction): within max(30 %, 3 sigma); Jy.';

CREATE OR REPLACE FUNCTION resolve_assignments(p_k bigint[], p_rrank bigint[])
RETURNS numeric
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
    -- the number of assignments of a component: the product over its extractions of
    -- (candidates + 1), an extraction being linked to one candidate or to none
    SELECT exp(sum(ln(n + 1)))
    FROM (SELECT count(*) AS n FROM unnest(p_k, p_rrank) u(k, rrank) GROUP BY k) per_extraction
$$;
COMMENT ON FUNCTION resolve_assignments(bigint[], bigint[]) IS
    'Number of assignments of a component given its pairs (extraction rank, runcat rank).';

CREATE OR REPLACE FUNCTION resolve_enumerate(p_limit integer)
RETURNS TABLE (row_id tid)
LANGUAGE plpgsql VOLATILE
AS $$
BEGIN
    -- Every assignment of each small component of assoc_component, extraction by extraction
    -- (k = 1..n: linked to an unused candidate runcat, or to none), and the best one's pairs:
    -- most links, then smallest total cost, then the smallest vector of runcat ranks (0 = none).
    RETURN QUERY
    WITH RECURSIVE comp AS MATERIALIZED (
        SELECT a.comp, max(a.k) AS n FROM assoc_component a GROUP BY a.comp
        HAVING resolve_assignments(array_agg(a.k), array_agg(a.rrank)) <= p_limit
    ), st (comp, k, used, links, cost, choice) AS (
        SELECT c.comp, 0::bigint, '{}'::bigint[], 0, 0::numeric, '{}'::bigint[] FROM comp c
        UNION ALL
        SELECT s.comp, s.k + 1, s.used || o.rrank, s.links + (o.rrank > 0)::integer,
               s.cost + o.cost, s.choice || o.rrank
        FROM st s
        JOIN comp c ON c.comp = s.comp AND s.k < c.n
        CROSS JOIN LATERAL (
            SELECT 0::bigint AS rrank, 0::bigint AS cost
            UNION ALL
            SELECT a.rrank, a.cost FROM assoc_component a
            WHERE a.comp = s.comp AND a.k = s.k + 1 AND a.rrank <> ALL (s.used)
        ) o
    ), best AS (
        SELECT DISTINCT ON (s.comp) s.comp, s.choice
        FROM st s JOIN comp c ON c.comp = s.comp AND s.k = c.n
        ORDER BY s.comp, s.links DESC, s.cost, s.choice
    )
    SELECT a.row_id
    FROM best b
    CROSS JOIN LATERAL unnest(b.choice) WITH ORDINALITY u(rrank, k)
    JOIN assoc_component a ON a.comp = b.comp AND a.k = u.k AND a.rrank = u.rrank;
END
$$;
COMMENT ON FUNCTION resolve_enumerate(integer) IS
    'The pairs of the best assignment of each component of assoc_component with at most p_limit '
    'assignments (set-based enumeration).';

CREATE OR REPLACE FUNCTION assignment_hungarian(p_k bigint[], p_rrank bigint[], p_cost bigint[])
RETURNS bigint[]
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
AS $$
-- The best assignment of one component given as pairs (extraction rank k = 1..nx, runcat rank
-- 1..nr, cost >= 0): element k of the result is the runcat rank linked to extraction k, 0 for
-- none. Objective: most links, then smallest total cost. The Hungarian method (potentials and
-- shortest augmenting paths, O(n^3)) on the n x n matrix, n = max(nx, nr), whose entry is
-- cost - big for a pair and 0 otherwise; big exceeds the sum of all costs, so one link more
-- always outweighs any difference of cost. Exact: integer arithmetic throughout.
DECLARE
    nx constant integer := (SELECT max(k) FROM unnest(p_k) k);
    nr constant integer := (SELECT max(r) FROM unnest(p_rrank) r);
    n constant integer := greatest(nx, nr);
    big constant bigint := (SELECT sum(c) + 1 FROM unnest(p_cost) c);
    inf constant bigint := 4000000000000000000;
    a bigint[];
    u bigint[] := array_fill(0::bigint, ARRAY[n + 1]);
    v bigint[] := array_fill(0::bigint, ARRAY[n + 1]);
    p integer[] := array_fill(0, ARRAY[n + 1]);      -- p[j]: row matched to column j (0: none)
    way integer[] := array_fill(0, ARRAY[n + 1]);
    minv bigint[];
    used boolean[];
    result bigint[] := array_fill(0::bigint, ARRAY[nx]);
    i integer; j integer; j0 integer; j1 integer; i0 integer;
    delta bigint; cur bigint;
BEGIN
    a := array_fill(0::bigint, ARRAY[n, n]);
    FOR i IN 1 .. array_length(p_k, 1) LOOP
        a[p_k[i]][p_rrank[i]] := p_cost[i] - big;
    END LOOP;
    FOR i IN 1 .. n LOOP
        p[1] := i;            -- column 0 of the method is index 1 here (arrays start at 1)
        j0 := 1;
        minv := array_fill(inf, ARRAY[n + 1]);
        used := array_fill(false, ARRAY[n + 1]);
        LOOP
            used[j0] := true;
            i0 := p[j0];
            delta := inf;
            j1 := 0;
            FOR j IN 2 .. n + 1 LOOP
                IF NOT used[j] THEN
                    cur := a[i0][j - 1] - u[i0 + 1] - v[j];
                    IF cur < minv[j] THEN
                        minv[j] := cur;
                        way[j] := j0;
                    END IF;
                    IF minv[j] < delta THEN
                        delta := minv[j];
                        j1 := j;
                    END IF;
                END IF;
            END LOOP;
            FOR j IN 1 .. n + 1 LOOP
                IF used[j] THEN
                    u[p[j] + 1] := u[p[j] + 1] + delta;
                    v[j] := v[j] - delta;
                ELSE
                    minv[j] := minv[j] - delta;
                END IF;
            END LOOP;
            j0 := j1;
            EXIT WHEN p[j0] = 0;
        END LOOP;
        LOOP
            j1 := way[j0];
            p[j0] := p[j1];
            j0 := j1;
            EXIT WHEN j0 = 1;
        END LOOP;
    END LOOP;
    FOR j IN 2 .. n + 1 LOOP
        -- row p[j] takes column j - 1: a link only where that is a pair (entry < 0)
        IF p[j] BETWEEN 1 AND nx AND j - 1 <= nr AND a[p[j]][j - 1] < 0 THEN
            result[p[j]] := j - 1;
        END IF;
    END LOOP;
    RETURN result;
END
$$;
COMMENT ON FUNCTION assignment_hungarian(bigint[], bigint[], bigint[]) IS
    'Best assignment of a component (pairs: extraction rank, runcat rank, cost >= 0): the runcat '
    'rank of each extraction (0 = none); most links, then least total cost (Hungarian method).';
