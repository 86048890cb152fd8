-- 70_cleanup.sql: last stage of association, empty the scratch table.
--
-- Reads:  nothing.
-- Writes: deletes the image's rows from temprunningcatalog.
-- Invariant: temprunningcatalog holds no committed rows between calls.

CREATE OR REPLACE FUNCTION assoc_cleanup(p_image integer)
RETURNS void
LANGUAGE sql VOLATILE
AS $$
    DELETE FROM temprunningcatalog WHERE image = p_image;
$$;
COMMENT ON FUNCTION assoc_cleanup(integer) IS 'Last stage: delete the image''s scratch rows.';
