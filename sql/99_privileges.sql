-- 99_privileges.sql: the two group roles and what each may do (run after every other file,
-- by reinstall_functions at the newest revision, so re-created functions get them again).
--
-- Reads:  pg_roles, pg_proc, pg_depend.
-- Writes: the roles tkpdb_reader and tkpdb_writer when missing (cluster-wide, NOLOGIN; never
--         dropped here: other databases of the cluster may use them), and this database's
--         privileges and default privileges.
-- Invariant:
--   * PUBLIC may execute none of this schema's functions (the extensions' are theirs), now and
--     for functions the migrating role creates later (default privileges);
--   * tkpdb_reader: SELECT on every table and view, EXECUTE on every non-volatile function (they
--     cannot write); nothing else: write_privileges('tkpdb_reader') is empty;
--   * tkpdb_writer: what tkpdb_reader has, plus the pipeline's entry points (insert_image,
--     associate_image, associate_nulldetections, associate_monitored, insert_monitor_positions,
--     record_image_input of `tkpdb run`),
--     INSERT on dataset and extractedsource (insert_dataset, the COPY of insert_extracted_sources)
--     and USAGE on their sequences. No DDL, no TRUNCATE, no direct write to the catalogue, no
--     stage function: the entry points are SECURITY DEFINER (with a fixed search_path) and run
--     the internal stages as the owner.
--   * delete_dataset, dataset_lock and the stages: the owner only.

DO $roles$
BEGIN
    -- creating a role needs CREATEROLE, and only when it is missing
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'tkpdb_reader') THEN
        BEGIN
            CREATE ROLE tkpdb_reader NOLOGIN;
            COMMENT ON ROLE tkpdb_reader IS
                'tkpdb: read the catalogue (tables, views, non-volatile functions); cannot write.';
        EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;  -- created meanwhile
        END;
    END IF;
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'tkpdb_writer') THEN
        BEGIN
            CREATE ROLE tkpdb_writer NOLOGIN;
            COMMENT ON ROLE tkpdb_writer IS
                'tkpdb: run the pipeline (images, measurements, association) through its entry points; no DDL.';
        EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
        END;
    END IF;
END
$roles$;

DO $grants$
DECLARE
    f record;
    entry_points constant text[] := ARRAY['insert_image', 'associate_image',
        'associate_nulldetections', 'associate_monitored', 'insert_monitor_positions',
        'record_image_input'];
BEGIN
    FOR f IN SELECT p.oid::regprocedure AS sig, p.proname, p.provolatile FROM pg_proc p
             WHERE p.pronamespace = current_schema()::regnamespace AND p.prokind = 'f'
               AND NOT EXISTS (SELECT FROM pg_depend d WHERE d.objid = p.oid AND d.deptype = 'e')
    LOOP
        EXECUTE format('REVOKE ALL ON FUNCTION %s FROM PUBLIC, tkpdb_reader, tkpdb_writer', f.sig);
        IF f.provolatile <> 'v' THEN
            EXECUTE format('GRANT EXECUTE ON FUNCTION %s TO tkpdb_reader, tkpdb_writer', f.sig);
        ELSIF f.proname = ANY (entry_points) THEN
            EXECUTE format('ALTER FUNCTION %s SECURITY DEFINER SET search_path = %I, pg_temp',
                           f.sig, current_schema());
            EXECUTE format('GRANT EXECUTE ON FUNCTION %s TO tkpdb_writer', f.sig);
        END IF;
    END LOOP;
    EXECUTE format('GRANT USAGE ON SCHEMA %I TO tkpdb_reader, tkpdb_writer', current_schema());
    EXECUTE format('REVOKE ALL ON ALL TABLES IN SCHEMA %I FROM tkpdb_reader, tkpdb_writer',
                   current_schema());
    EXECUTE format('REVOKE ALL ON ALL SEQUENCES IN SCHEMA %I FROM tkpdb_reader, tkpdb_writer',
                   current_schema());
    EXECUTE format('GRANT SELECT ON ALL TABLES IN SCHEMA %I TO tkpdb_reader, tkpdb_writer',
                   current_schema());
    GRANT INSERT ON dataset, extractedsource TO tkpdb_writer;
    GRANT USAGE ON SEQUENCE dataset_id_seq, extractedsource_id_seq TO tkpdb_writer;
END
$grants$;

ALTER DEFAULT PRIVILEGES REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC;
