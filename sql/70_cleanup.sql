-- 70_cleanup.sql: last stage of association, empty the scratch table.
--
-- Reads:  nothing.
-- Writes: deletes the image's rows from temprunningcatalog (the session's temporary table);
--         ends the call (assoc_close, 07_stage_guards.sql).
-- Invariant: temprunningcatalog holds no rows between calls: this stage deletes the call's
--            pairs (several calls can share one transaction), and every commit empties the
--            table (ON COMMIT DELETE ROWS, 04_scratch.sql) without leaving dead rows.

CREATE OR REPLACE FUNCTION assoc_cleanup(p_image integer)
RETURNS void
LANGUAGE plpgsql VOLATILE
AS $$
BEGIN
    PERFORM assoc_stage_guard(p_image, 'assoc_cleanup');   -- 07_stage_guards.sql
    DELETE FROM temprunningcatalog WHERE image = p_image;
    PERFORM assoc_close(p_image);
END
$$;
COMMENT ON FUNCTION assoc_cleanup(integer) IS 'Last stage: delete the image''s scratch rows.';
