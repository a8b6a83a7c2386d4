#!/usr/bin/env bash
# Make sure PostgreSQL and Redis answer on 127.0.0.1, starting or installing them if needed.
# Installing needs root and Debian's packages; otherwise this says exactly what to do.
set -euo pipefail

PGHOST=${PGHOST:-127.0.0.1}
PGPORT=${PGPORT:-5432}
REDIS_HOST=${REDIS_HOST:-127.0.0.1}
REDIS_PORT=${REDIS_PORT:-6379}
APT_UPDATED=0

say() { printf '[services] %s\n' "$*"; }

apt_install() {
  if [ "$(id -u)" -ne 0 ]; then
    say "Missing Debian packages: $*"
    say "Run as root:  apt-get update && apt-get install -y $*   and then re-run make."
    exit 1
  fi
  if [ "$APT_UPDATED" -eq 0 ]; then
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    APT_UPDATED=1
  fi
  say "installing $* from Debian packages"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

pg_ready() { pg_isready -q -h "$PGHOST" -p "$PGPORT" 2>/dev/null; }

ensure_postgres() {
  if command -v pg_isready >/dev/null && pg_ready; then return; fi
  if ! command -v pg_ctlcluster >/dev/null; then
    apt_install postgresql postgresql-contrib
  fi
  local version
  version=$(ls /etc/postgresql 2>/dev/null | sort -V | tail -n 1)
  if [ -z "$version" ]; then
    say "PostgreSQL is installed but has no cluster; run: pg_createcluster --start 15 main"
    exit 1
  fi
  local hba="/etc/postgresql/$version/main/pg_hba.conf"
  # A fresh Debian cluster asks for passwords on TCP; local development uses trust on loopback
  # (as the platform's machines do). Production sets DATABASE_URL with its own credentials.
  if [ -w "$hba" ] && ! grep -q '^host all all 127.0.0.1/32 trust' "$hba"; then
    sed -i '1i host all all 127.0.0.1/32 trust\nhost all all ::1/128 trust' "$hba"
  fi
  say "starting PostgreSQL $version"
  pg_ctlcluster --skip-systemctl-redirect "$version" main start 2>/dev/null \
    || pg_ctlcluster --skip-systemctl-redirect "$version" main reload
  for _ in $(seq 1 30); do pg_ready && return; sleep 1; done
  say "PostgreSQL did not come up on $PGHOST:$PGPORT; see /var/log/postgresql/"
  exit 1
}

# pg_partman manages the partitioned append-only tables (scs.partitioning); the migration
# `scs 0002_pg_partman` needs the extension's files on the server.
ensure_partman() {
  local version
  version=$(psql -h "$PGHOST" -p "$PGPORT" -U postgres -tAc "SHOW server_version_num" 2>/dev/null || true)
  version=${version:0:2}
  if [ -z "$version" ]; then
    say "cannot ask PostgreSQL for its version; make sure postgresql-<major>-partman is installed"
    return
  fi
  local available
  available=$(psql -h "$PGHOST" -p "$PGPORT" -U postgres -tAc \
    "SELECT 1 FROM pg_available_extensions WHERE name = 'pg_partman'" 2>/dev/null || true)
  if [ "$available" != 1 ]; then apt_install "postgresql-$version-partman"; fi
}

redis_ready() { redis-cli -h "$REDIS_HOST" -p "$REDIS_PORT" ping 2>/dev/null | grep -q PONG; }

ensure_redis() {
  if command -v redis-cli >/dev/null && redis_ready; then return; fi
  if ! command -v redis-server >/dev/null; then
    apt_install redis-server
  fi
  say "starting Redis"
  mkdir -p /tmp/scs-redis
  redis-server --daemonize yes --bind 127.0.0.1 --port "$REDIS_PORT" --save "" \
    --appendonly no --dir /tmp/scs-redis --logfile /tmp/scs-redis/redis.log
  for _ in $(seq 1 30); do redis_ready && return; sleep 0.5; done
  say "Redis did not come up on $REDIS_HOST:$REDIS_PORT"
  exit 1
}

# Fonts for the PDF credit report (CJK) and, for the test suite, Debian's Chromium.
ensure_debian_extras() {
  local missing=() fonts
  # Read the list first: `fc-list | grep -q` fails under pipefail when grep exits early.
  fonts=$(fc-list : family 2>/dev/null || true)
  grep -qi "Noto Sans CJK" <<<"$fonts" || missing+=(fonts-noto-cjk)
  grep -qi "WenQuanYi Zen Hei" <<<"$fonts" || missing+=(fonts-wqy-zenhei)
  if [ "${WANT_BROWSER:-0}" = 1 ] && ! command -v chromium >/dev/null; then missing+=(chromium); fi
  if [ "${WANT_BROWSER:-0}" = 1 ] && ! command -v pdftotext >/dev/null; then missing+=(poppler-utils); fi
  if [ ${#missing[@]} -gt 0 ]; then apt_install "${missing[@]}"; fi
}

ensure_postgres
ensure_partman
ensure_redis
ensure_debian_extras
say "PostgreSQL on $PGHOST:$PGPORT and Redis on $REDIS_HOST:$REDIS_PORT are up"
