-- 96_runs.sql: what a manifest run (`tkpdb run`) records of the files it loaded.
--
-- Reads:  image_input, image, extractedsource.
-- Writes: image_input (one row per image a run loaded, in that image's transaction).
-- Invariant: an image_input row exists exactly when its image, its extractions, its
--            association and its forced fits were committed together; (dataset, catalogue) is
--            unique, so no catalogue is ever loaded twice into one dataset.

CREATE OR REPLACE FUNCTION record_image_input(p_image integer, p_catalogue text, p_format text,
                                              p_fits text, p_noise text, p_sha256 text)
RETURNS void
LANGUAGE sql VOLATILE
AS $$
    INSERT INTO image_input (image, dataset, catalogue, format, fits, noise, sha256)
    SELECT i.id, i.dataset, p_catalogue, p_format, p_fits, p_noise, p_sha256
    FROM image i WHERE i.id = p_image;
$$;
COMMENT ON FUNCTION record_image_input(integer, text, text, text, text, text) IS
    'Record the files (paths relative to the manifest) and content digest an image was loaded from.';

CREATE OR REPLACE FUNCTION dataset_image_inputs(p_dataset integer)
RETURNS TABLE (image integer, catalogue text, format text, sha256 text, taustart_ts timestamp)
LANGUAGE sql STABLE
AS $$
    SELECT ii.image, ii.catalogue, ii.format, ii.sha256, i.taustart_ts
    FROM image_input ii JOIN image i ON i.id = ii.image
    WHERE ii.dataset = p_dataset
    ORDER BY i.taustart_ts, i.freq_eff, ii.image
$$;
COMMENT ON FUNCTION dataset_image_inputs(integer) IS
    'The images a manifest run loaded into the dataset, with their catalogue and digest, in time order.';

CREATE OR REPLACE FUNCTION catalogue_extractions(p_dataset integer)
RETURNS TABLE (catalogue text, xtrsrc bigint[])
LANGUAGE sql STABLE
AS $$
    -- ids are drawn in input order by insert_extracted_sources, so the k-th id of an image is
    -- the k-th row of its catalogue
    SELECT ii.catalogue, array_agg(x.id ORDER BY x.id)
    FROM image_input ii
    JOIN extractedsource x ON x.image = ii.image AND x.extract_type = 0
    WHERE ii.dataset = p_dataset
    GROUP BY ii.catalogue
$$;
COMMENT ON FUNCTION catalogue_extractions(integer) IS
    'Per catalogue loaded into the dataset, the ids of its blind extractions in catalogue row order.';
