#!/usr/bin/env bash
# One idempotent set-up for a fresh Debian/Ubuntu machine: system libraries, a running
# PostgreSQL with PostGIS, the local role and database, and the project's virtualenv.
# Every step checks before it acts, so a second run changes nothing.
set -euo pipefail

cd "$(dirname "$0")/.."
DB_NAME="${CIVICPIN_DB_NAME:-civicpin}"
DB_USER="${CIVICPIN_DB_USER:-civicpin}"
DB_PASSWORD="${CIVICPIN_DB_PASSWORD:-civicpin}"
PYTHON="${PYTHON:-python3}"

say() { printf '[setup] %s\n' "$*"; }
is_root() { [ "$(id -u)" -eq 0 ]; }
have_apt() { command -v apt-get >/dev/null 2>&1; }

pg_version() {
  # The newest installed server major version, if any.
  ls /usr/lib/postgresql 2>/dev/null | sort -n | tail -n 1
}

missing_packages() {
  local pkgs=() v
  v=$(pg_version)
  if [ -z "$v" ]; then
    pkgs+=(postgresql postgresql-contrib)
  elif [ ! -f "/usr/share/postgresql/$v/extension/postgis.control" ]; then
    pkgs+=("postgresql-$v-postgis-3")
  fi
  command -v gdalinfo >/dev/null 2>&1 || pkgs+=(gdal-bin)
  command -v projinfo >/dev/null 2>&1 || pkgs+=(proj-bin)
  ldconfig -p 2>/dev/null | grep -q 'libgeos_c\.so' || pkgs+=(libgeos-c1v5)
  "$PYTHON" -c 'import venv, ensurepip' >/dev/null 2>&1 || pkgs+=(python3-venv)
  command -v pgbench >/dev/null 2>&1 || [ -z "$v" ] || pkgs+=(postgresql-contrib)
  command -v chromium >/dev/null 2>&1 || pkgs+=(chromium)
  printf '%s\n' "${pkgs[@]}"
}

install_system_packages() {
  local pkgs
  mapfile -t pkgs < <(missing_packages | sed '/^$/d' | sort -u)
  [ "${#pkgs[@]}" -eq 0 ] && { say "system packages present"; return; }
  if ! is_root || ! have_apt; then
    say "missing system packages: ${pkgs[*]}"
    say "install them as root, e.g.: sudo apt-get install -y ${pkgs[*]}"
    exit 1
  fi
  say "installing: ${pkgs[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${pkgs[@]}" >/dev/null
  # PostGIS is versioned with the server, so ask again once the server exists.
  mapfile -t pkgs < <(missing_packages | sed '/^$/d' | sort -u)
  if [ "${#pkgs[@]}" -gt 0 ]; then
    say "installing: ${pkgs[*]}"
    apt-get install -y -qq "${pkgs[@]}" >/dev/null
  fi
}

start_postgres() {
  local v
  v=$(pg_version)
  if pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then
    say "PostgreSQL is running"
    return
  fi
  if ! pg_lsclusters -h 2>/dev/null | awk '{print $1" "$2}' | grep -q "^$v main$"; then
    say "creating cluster $v/main"
    pg_createcluster "$v" main >/dev/null
  fi
  say "starting PostgreSQL $v"
  pg_ctlcluster --skip-systemctl-redirect "$v" main start 2>/dev/null \
    || pg_ctlcluster "$v" main start
  for _ in $(seq 1 30); do
    pg_isready -q -h 127.0.0.1 -p 5432 && return
    sleep 1
  done
  say "PostgreSQL did not become ready on 127.0.0.1:5432"
  exit 1
}

psql_admin() {
  # Administrative SQL runs as the cluster's superuser.
  if is_root; then
    runuser -u postgres -- psql -X -v ON_ERROR_STOP=1 -qAt "$@"
  else
    psql -X -h 127.0.0.1 -U postgres -v ON_ERROR_STOP=1 -qAt "$@"
  fi
}

create_extensions() {
  # The extensions the migrations use, in database $1 (IF NOT EXISTS: idempotent).
  for ext in postgis btree_gist; do
    psql_admin -d "$1" -c "CREATE EXTENSION IF NOT EXISTS $ext" 2>&1 | grep -v NOTICE || true
  done
}

create_database() {
  if [ -n "${DATABASE_URL:-}" ]; then
    say "DATABASE_URL is set; leaving database creation to its owner"
    return
  fi
  if [ "$(psql_admin -c "SELECT 1 FROM pg_roles WHERE rolname = '$DB_USER'")" != "1" ]; then
    say "creating role $DB_USER"
    psql_admin -c "CREATE ROLE $DB_USER LOGIN CREATEDB PASSWORD '$DB_PASSWORD'"
  fi
  # PostGIS in template1 lets the non-superuser role create test databases that
  # already carry the extension (CREATE EXTENSION itself needs a superuser). btree_gist
  # (an integer key in a GiST index, reports migration 0012) is trusted, so the database's
  # owner could create it; it sits in template1 too so every database starts alike.
  create_extensions template1
  if [ "$(psql_admin -c "SELECT 1 FROM pg_database WHERE datname = '$DB_NAME'")" != "1" ]; then
    say "creating database $DB_NAME"
    psql_admin -c "CREATE DATABASE $DB_NAME OWNER $DB_USER"
  fi
  create_extensions "$DB_NAME"
}

create_env_file() {
  # A local .env gives development a stable secret key; production sets real variables.
  if [ ! -f .env ]; then
    say "writing .env for local development"
    key=$("$PYTHON" -c 'import secrets; print(secrets.token_urlsafe(50))')
    printf 'DEBUG=true\nSECRET_KEY=%s\n' "$key" > .env
  fi
}

create_virtualenv() {
  if [ ! -x .venv/bin/python ]; then
    say "creating .venv"
    "$PYTHON" -m venv .venv
  fi
  # Reinstall only when the declared dependencies changed since the last install.
  if [ ! -f .venv/.installed ] || [ pyproject.toml -nt .venv/.installed ]; then
    say "installing the package and its dev dependencies"
    .venv/bin/pip install -q --upgrade pip
    .venv/bin/pip install -q -e '.[dev]'
    touch .venv/.installed
  else
    say "virtualenv up to date"
  fi
}

install_system_packages
start_postgres
create_database
create_env_file
create_virtualenv
say "done"
