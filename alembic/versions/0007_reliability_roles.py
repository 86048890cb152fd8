"""Refused input, stage guards, the consistency checker, the reader and writer roles.

Tables: ``dataset.band_tolerance`` (the band rule for images without a bandwidth), the index
``image_dataset_time`` (a dataset's images in time order, for the time order of association);
``skyregion.xtr_radius`` up to 180 deg, ``skyregion.region`` NULL beyond 90 deg (pgSphere's
largest circle) and the partial index ``skyregion_large``. Functions: every file of ``sql/``
again, among them 03_load_checks, 07_stage_guards, 90_check_catalogue, 98_write_privileges and,
last, 99_privileges (the roles ``tkpdb_reader`` and ``tkpdb_writer``, created when missing, and
every grant).

Downgrade: revokes every privilege of this database from the two roles, gives EXECUTE on the
schema's functions back to PUBLIC (PostgreSQL's default, also for functions created later),
makes the entry points SECURITY INVOKER again and drops the functions this revision added. The
roles stay: they belong to the cluster and other databases may use them (a DBA drops them with
``DROP ROLE`` once no database does). The new columns and the wider radius stay too: the
function bodies left installed use them (``alembic downgrade base`` drops the tables).

Revision ID: 0007
Revises: 0006
"""

from alembic import op

from tkpdb.migrations import drop_functions, execute_sql, reinstall_functions, set_version

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

# Functions defined by files that revision 0003 did not have (dropped on downgrade).
FUNCTIONS = [
    "dataset_locked", "note_dataset_locked", "dataset_latest_associated", "in_skyregion", "skyregions_containing", "image_refusal", "load_refusal",
    "forced_fit_refusals", "assoc_check_parameters", "assoc_open", "assoc_begin",
    "assoc_stage_guard", "assoc_close", "check_catalogue", "write_privileges",
]
ENTRY_POINTS = ["insert_image", "associate_image", "associate_nulldetections",
                "associate_monitored", "insert_monitor_positions"]

REGION = ("CASE WHEN xtr_radius <= 90 THEN "
          "scircle(spoint(radians(centre_ra), radians(centre_decl)), radians(xtr_radius)) END")


def upgrade() -> None:
    # 1. the table changes of sql/01_schema.sql, as idempotent DDL
    execute_sql(op, """
        ALTER TABLE dataset ADD COLUMN IF NOT EXISTS band_tolerance double precision NOT NULL
            DEFAULT 0 CHECK (band_tolerance >= 0 AND band_tolerance <= 1e15);
        DROP INDEX IF EXISTS image_dataset;
        CREATE INDEX IF NOT EXISTS image_dataset_time ON image (dataset, taustart_ts);
        COMMENT ON COLUMN dataset.band_tolerance IS 'Bandwidth (Hz) given to an image whose freq_bw is 0 or NULL '
            'when its band is chosen: such images within band_tolerance of each other share a band (see get_band).';
        ALTER TABLE skyregion DROP CONSTRAINT IF EXISTS skyregion_xtr_radius_check,
            ADD CONSTRAINT skyregion_xtr_radius_check CHECK (xtr_radius > 0 AND xtr_radius <= 180);
    """)
    execute_sql(op, f"""
        DO $region$ BEGIN
            IF (SELECT pg_get_expr(d.adbin, d.adrelid) FROM pg_attrdef d
                JOIN pg_attribute a ON a.attrelid = d.adrelid AND a.attnum = d.adnum
                WHERE d.adrelid = 'skyregion'::regclass AND a.attname = 'region') NOT LIKE 'CASE%' THEN
                ALTER TABLE skyregion DROP COLUMN region;
                ALTER TABLE skyregion ADD COLUMN region scircle GENERATED ALWAYS AS ({REGION}) STORED;
                CREATE INDEX skyregion_region ON skyregion USING gist (dataset, region);
            END IF;
        END $region$;
        CREATE INDEX IF NOT EXISTS skyregion_large ON skyregion (dataset) WHERE region IS NULL;
        COMMENT ON TABLE skyregion IS 'Extraction regions (deg): the circle of radius xtr_radius (<= 180) around an image centre.';
        COMMENT ON COLUMN skyregion.region IS 'pgSphere circle of the region; NULL when xtr_radius > 90 deg (beyond pgSphere''s circles).';
    """)
    # 2. the newest functions and views of sql/, then the privileges (99_privileges.sql)
    reinstall_functions(op, revision)
    set_version(op, int(revision))


def downgrade() -> None:
    execute_sql(op, """
        DO $revoke$ DECLARE f record; BEGIN
            FOR f IN SELECT p.oid::regprocedure AS sig, p.proname FROM pg_proc p
                     WHERE p.pronamespace = current_schema()::regnamespace AND p.prokind = 'f'
                       AND NOT EXISTS (SELECT FROM pg_depend d WHERE d.objid = p.oid AND d.deptype = 'e')
            LOOP
                EXECUTE format('REVOKE ALL ON FUNCTION %s FROM tkpdb_reader, tkpdb_writer', f.sig);
                EXECUTE format('GRANT EXECUTE ON FUNCTION %s TO PUBLIC', f.sig);
            END LOOP;
            EXECUTE format('REVOKE ALL ON ALL TABLES IN SCHEMA %I FROM tkpdb_reader, tkpdb_writer',
                           current_schema());
            EXECUTE format('REVOKE ALL ON ALL SEQUENCES IN SCHEMA %I FROM tkpdb_reader, tkpdb_writer',
                           current_schema());
            EXECUTE format('REVOKE ALL ON SCHEMA %I FROM tkpdb_reader, tkpdb_writer', current_schema());
        END $revoke$;
        ALTER DEFAULT PRIVILEGES GRANT EXECUTE ON FUNCTIONS TO PUBLIC;
    """)
    for name in ENTRY_POINTS:
        execute_sql(op, f"""
            DO $invoker$ DECLARE f regprocedure; BEGIN
                FOR f IN SELECT p.oid::regprocedure FROM pg_proc p
                         WHERE p.proname = '{name}' AND p.pronamespace = current_schema()::regnamespace
                LOOP EXECUTE format('ALTER FUNCTION %s SECURITY INVOKER RESET search_path', f); END LOOP;
            END $invoker$""")
    drop_functions(op, FUNCTIONS)
    set_version(op, 6)
