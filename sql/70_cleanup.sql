-- 70_cleanup.sql: last stage of association, empty the scratch table.
--
-- Reads:  nothing.
-- Writes: deletes the image's rows from temprunningcatalog; ends the call (assoc_close).
-- Invariant: temprunningcatalog holds no committed rows between calls.

CREATE OR REPLACE FUNCTION assoc_cleanup(p_image integer)
RETURNS void
LANGUAGE sql VOLATILE
AS $$
    SELECT assoc_stage_guard(p_image, 'assoc_cleanup');   -- 05_stage_guards.sql
    DELETE FROM temprunningcatalog WHERE image = p_image;
    SELECT assoc_close(p_image);
$$;
COMMENT ON FUNCTION assoc_cleanup(integer) IS 'Last stage: delete the image''s scratch rows.';
