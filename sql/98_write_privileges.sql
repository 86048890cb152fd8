-- 98_write_privileges.sql: what a role may change in this database (for tools that must run
-- read-only, e.g. a viewer that refuses to start when its login can write).
--
-- Reads:  the system catalogues (privileges, ownership, role attributes).
-- Writes: nothing.
-- Invariant: an empty answer means the role, and every role it can SET ROLE to, can change no
--            row, sequence, function body or
--            schema object of this database: no INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES or
--            TRIGGER on a table, no USAGE or UPDATE on a sequence, no EXECUTE on a VOLATILE
--            function of this schema (non-volatile functions cannot write: PostgreSQL refuses
--            data-modifying statements in them), no CREATE on the schema or the database, no
--            ownership, no superuser. Not counted: temporary tables (private to a session, gone
--            at its end) and PostgreSQL's built-in functions (advisory locks among them, which
--            any session may take: association waits for a dataset lock a bounded time, see
--            dataset_lock()).

CREATE OR REPLACE FUNCTION write_privileges(p_role name DEFAULT current_user)
RETURNS TABLE (object text, privilege text, via_role name)
LANGUAGE sql STABLE
AS $$
    -- the role and every role it is a member of (privileges it can use by SET ROLE count too)
    WITH r AS (
        SELECT oid, rolname, rolsuper FROM pg_roles WHERE pg_has_role(p_role, oid, 'MEMBER')
    ), ours AS (
        SELECT c.oid, c.relname, c.relkind, c.relowner FROM pg_class c
        WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind IN ('r', 'v', 'm', 'S', 'p')
          AND NOT EXISTS (SELECT FROM pg_depend d WHERE d.objid = c.oid AND d.deptype = 'e')
    )
    SELECT 'role ' || r.rolname, 'SUPERUSER', r.rolname FROM r WHERE r.rolsuper
    UNION ALL
    SELECT CASE o.relkind WHEN 'S' THEN 'sequence ' ELSE 'table ' END || o.relname, p.privilege,
           r.rolname
    FROM r CROSS JOIN ours o
    CROSS JOIN LATERAL (VALUES ('INSERT'), ('UPDATE'), ('DELETE'), ('TRUNCATE'), ('REFERENCES'),
                               ('TRIGGER'), ('USAGE')) AS p(privilege)
    WHERE CASE WHEN o.relkind = 'S' THEN p.privilege IN ('USAGE', 'UPDATE')
                                         AND has_sequence_privilege(r.oid, o.oid, p.privilege)
               ELSE p.privilege <> 'USAGE' AND has_table_privilege(r.oid, o.oid, p.privilege) END
    UNION ALL
    SELECT CASE o.relkind WHEN 'S' THEN 'sequence ' ELSE 'table ' END || o.relname, 'OWNER',
           r.rolname
    FROM r CROSS JOIN ours o WHERE pg_has_role(r.oid, o.relowner, 'USAGE')
    UNION ALL
    SELECT 'function ' || p.oid::regprocedure::text,
           CASE WHEN pg_has_role(r.oid, p.proowner, 'USAGE') THEN 'OWNER' ELSE 'EXECUTE' END,
           r.rolname
    FROM r CROSS JOIN pg_proc p
    WHERE p.pronamespace = current_schema()::regnamespace
      AND NOT EXISTS (SELECT FROM pg_depend d WHERE d.objid = p.oid AND d.deptype = 'e')
      AND ((p.provolatile = 'v' AND has_function_privilege(r.oid, p.oid, 'EXECUTE'))
           OR pg_has_role(r.oid, p.proowner, 'USAGE'))
    UNION ALL
    SELECT 'schema ' || current_schema(), 'CREATE', r.rolname
    FROM r WHERE has_schema_privilege(r.oid, current_schema(), 'CREATE')
    UNION ALL
    SELECT 'database ' || current_database(), 'CREATE', r.rolname
    FROM r WHERE has_database_privilege(r.oid, current_database(), 'CREATE')
$$;
COMMENT ON FUNCTION write_privileges(name) IS
    'Every way the role can change this database (object, privilege, and the role through which: '
    'itself or a role it can SET ROLE to); none for tkpdb_reader or a login granted only '
    'tkpdb_reader. Temporary tables and built-in functions are not counted.';
