#!/usr/bin/env bash
# One-command set-up of tkpdb on Debian 12 (bookworm).
#
#   scripts/setup.sh
#
# 1. installs PostgreSQL 15, pgSphere and Graphviz with apt when they are missing, and
#    Chromium with its driver (the viewer's browser tests drive them with Selenium);
# 2. applies the upstream pgSphere fix for PostgreSQL >= 15.x minor releases that reject
#    its obsolete '@' compatibility operators (pgsphere issue #85, fixed upstream by
#    dropping them) when the packaged script still carries them;
# 3. starts the cluster when it is down;
# 4. as the postgres superuser: the template database tkpdb_template with the extensions
#    pg_sphere and btree_gist (pgSphere is not a trusted extension: only a superuser may create
#    it), a login role for the calling user (LOGIN CREATEDB CREATEROLE, not a superuser) and the
#    database (default: tkpdb), owned by that role, copied from the template;
# 5. creates .venv, installs tkpdb with its test, benchmark and viewer extras;
# 6. migrates the database to the newest schema, as that role (the migration creates the group
#    roles tkpdb_reader and tkpdb_writer when they are missing: CREATEROLE).
#
# The tests copy tkpdb_template too, so they run as this non-superuser role (CREATEDB to make
# their databases, CREATEROLE to make the logins of the role tests). A role that exists already
# keeps its attributes (a superuser stays one).
#
# Running it again is harmless: every step checks before it acts.
# Environment: TKPDB_DB (database name, default tkpdb), TKPDB_ROLE (login role, default the
# calling user), TKPDB_TEMPLATE (default tkpdb_template), PGVERSION (default 15).
set -euo pipefail

cd "$(dirname "$0")/.."
PGVERSION="${PGVERSION:-15}"
DB="${TKPDB_DB:-tkpdb}"
ROLE="${TKPDB_ROLE:-$(id -un)}"
TEMPLATE="${TKPDB_TEMPLATE:-tkpdb_template}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

say() { printf '\033[1m== %s\033[0m\n' "$*"; }

# --- 1. Debian packages -------------------------------------------------------------------
packages=(postgresql-"$PGVERSION" postgresql-client-"$PGVERSION" postgresql-"$PGVERSION"-pgsphere
          graphviz python3 python3-venv python3-dev chromium chromium-driver)
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
    say "installing ${missing[*]}"
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -q
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# --- 2. pgSphere fix (idempotent) --------------------------------------------------------
ext_dir="$(/usr/lib/postgresql/"$PGVERSION"/bin/pg_config --sharedir)/extension"
for f in "$ext_dir"/pg_sphere--1.2.0.sql; do
    if [ -f "$f" ] && grep -q "backwards-compatible operators for GAVO DaCHS" "$f"; then
        say "patching $f (drop obsolete smoc '@' operators, as upstream pgSphere does)"
        $SUDO cp -n "$f" "$f.orig"
        $SUDO sed -i '/^-- a minimal set of backwards-compatible operators for GAVO DaCHS/,/^-- debugging/{/^-- debugging/!d}' "$f"
    fi
done

# --- 3. server ---------------------------------------------------------------------------
if ! pg_lsclusters -h 2>/dev/null | awk -v v="$PGVERSION" '$1==v' | grep -q .; then
    say "creating cluster $PGVERSION/main"
    $SUDO pg_createcluster "$PGVERSION" main
fi
if ! pg_lsclusters -h | awk -v v="$PGVERSION" '$1==v && $2=="main" {print $4}' | grep -q online; then
    say "starting cluster $PGVERSION/main"
    $SUDO pg_ctlcluster --skip-systemctl-redirect "$PGVERSION" main start
fi
for _ in $(seq 1 30); do
    pg_isready -q && break
    sleep 1
done
pg_isready

# --- 4. template, role and database (as the postgres superuser) -------------------------
as_postgres() {
    if [ "$(id -un)" = postgres ]; then "$@"; elif [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else sudo -u postgres "$@"; fi
}
exists() { as_postgres psql -XtAc "$1" postgres | grep -q 1; }
EXTENSIONS="CREATE EXTENSION IF NOT EXISTS pg_sphere; CREATE EXTENSION IF NOT EXISTS btree_gist;"
if ! exists "SELECT 1 FROM pg_database WHERE datname = '$TEMPLATE'"; then
    say "creating template database $TEMPLATE (pg_sphere, btree_gist)"
    as_postgres psql -Xq -c "CREATE DATABASE \"$TEMPLATE\" IS_TEMPLATE true" postgres
fi
as_postgres psql -Xq -c "$EXTENSIONS" "$TEMPLATE" 2>&1 | { grep -v "already exists, skipping" || true; }
if ! exists "SELECT 1 FROM pg_roles WHERE rolname = '$ROLE'"; then
    say "creating role $ROLE (LOGIN CREATEDB CREATEROLE; not a superuser)"
    as_postgres psql -Xq -c "CREATE ROLE \"$ROLE\" LOGIN CREATEDB CREATEROLE" postgres
fi
if ! exists "SELECT 1 FROM pg_database WHERE datname = '$DB'"; then
    say "creating database $DB (owner $ROLE, from $TEMPLATE)"
    as_postgres psql -Xq -c "CREATE DATABASE \"$DB\" OWNER \"$ROLE\" TEMPLATE \"$TEMPLATE\"" postgres
fi
as_postgres psql -Xq -c "$EXTENSIONS" "$DB" 2>&1 | { grep -v "already exists, skipping" || true; }

# --- 5. Python package -------------------------------------------------------------------
if [ ! -x .venv/bin/python ]; then
    say "creating .venv"
    python3 -m venv .venv
fi
say "installing tkpdb[test,bench,viewer] into .venv"
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e ".[test,bench,viewer]"

# --- 6. schema ---------------------------------------------------------------------------
say "migrating database $DB"
TKPDB_DSN="${TKPDB_DSN:-dbname=$DB user=$ROLE}" .venv/bin/tkpdb db upgrade
say "done: try 'scripts/test.sh' or '.venv/bin/tkpdb demo'"
