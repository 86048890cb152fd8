-- 20_many_to_many.sql: stage 2 of association, reduce many-to-many links.
--
-- Reads:  temprunningcatalog (the image's candidate pairs), runningcatalog (tie-break by position).
-- Writes: temprunningcatalog.inactive = true on the pruned pairs.
-- Invariant: afterwards no connected group of active pairs has several extractions *and*
--            several runcats on both sides of one extraction: every extraction that had
--            several candidates among runcats that themselves had several candidates keeps
--            exactly one of those links (TraP's rule: smallest De Ruiter radius).
--
-- Ties (TraP raised an IntegrityError on them) are broken deterministically and independently
-- of row ids of the image: smallest r, then smallest separation, then the runcat with the
-- smaller wm_decl, then smaller wm_ra, then the smaller runcat id. r is compared to 1e-6, the
-- separation to 1 milli-arcsec and the positions to 1e-9 deg (3.6 micro-arcsec), so that a
-- configuration symmetric on the sky is a tie even when rounding makes its radii or its
-- coordinates differ in the last bits (two implementations of the same formulas differ by
-- about 1e-11 in r: a grid much coarser than that rarely puts a boundary between them). An exactly symmetric rhombus
-- (two runcats, two extractions, all four r equal) thus links both extractions to the runcat
-- further south (then west); that runcat forks in stage 3 and the other one is left untouched.
-- Links to runcats that have a single candidate are never pruned (they become many-to-one).

CREATE OR REPLACE FUNCTION assoc_prune_many_to_many(p_image integer)
RETURNS integer
LANGUAGE plpgsql VOLATILE
SET jit = off  -- compiling costs more than this statement runs: see 80_associate_image.sql
AS $$
DECLARE
    n integer;
BEGIN
    PERFORM assoc_stage_guard(p_image, 'assoc_prune_many_to_many');   -- 07_stage_guards.sql
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
                                  ORDER BY round(c.r * 1e6), round(c.distance_arcsec * 1e3),
                                           round(rc.wm_decl * 1e9), round(rc.wm_ra * 1e9),
                                           c.runcat) AS rank
        FROM counted c
        -- the tie-break position by primary-key probe (OFFSET 0: a hash join read the
        -- whole runningcatalog when the planner misjudged the scratch rows)
        CROSS JOIN LATERAL (SELECT rc.wm_decl, rc.wm_ra FROM runningcatalog rc
                            WHERE rc.id = c.runcat OFFSET 0) rc
        WHERE c.per_extraction > 1 AND c.per_runcat > 1
    )
    UPDATE temprunningcatalog SET inactive = true
    WHERE ctid = ANY (ARRAY(SELECT row_id FROM ranked WHERE rank > 1));
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN n;
END
$$;
COMMENT ON FUNCTION assoc_prune_many_to_many(integer) IS
    'Stage 2: deactivate many-to-many candidate pairs of an image (keep the best link per extraction); returns the number pruned.';
