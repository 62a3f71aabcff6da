#!/usr/bin/env bash
# A throwaway PostgreSQL server for the tests (Debian's package, run from a temporary directory).
#
#   .ci/postgres.sh run CMD...   start a server, run CMD with WEBPLUS_TEST_DATABASE_URL set, stop it
#                                (also when CMD fails); exits with CMD's status
#   .ci/postgres.sh start DIR    start a server in DIR (created), print its URL
#   .ci/postgres.sh stop DIR     stop the server in DIR and remove DIR
#
# The server listens on 127.0.0.1 only, on a free port, with trust authentication for the
# `postgres` user. Each test creates (and drops) a database of its own on it.
set -euo pipefail

pg_bin() {
  local initdb
  initdb=$(ls -d /usr/lib/postgresql/*/bin/initdb 2>/dev/null | sort -V | tail -n 1 || true)
  if [[ -z "$initdb" ]]; then
    echo "postgres.sh: installing PostgreSQL (Debian package)" >&2
    # Only the server binaries: no cluster is created or started by the package for us to use.
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q postgresql >&2 \
      || { apt-get update -q >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q postgresql >&2; }
    initdb=$(ls -d /usr/lib/postgresql/*/bin/initdb | sort -V | tail -n 1)
  fi
  dirname "$initdb"
}

# Runs a command as the `postgres` user (PostgreSQL refuses to run as root).
as_postgres() {
  if [[ $(id -u) -eq 0 ]]; then
    su postgres -s /bin/bash -c "$(printf '%q ' "$@")"
  else
    "$@"
  fi
}

port_free() {
  ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

start() {
  local dir=$1 bin port
  bin=$(pg_bin)
  mkdir -p "$dir"
  [[ $(id -u) -eq 0 ]] && chown postgres: "$dir"
  # C collation: ORDER BY on text sorts by code point, as SQLite does.
  as_postgres "$bin/initdb" -D "$dir/data" -A trust -U postgres -E UTF8 --no-locale >"$dir/initdb.log" 2>&1 \
    || { cat "$dir/initdb.log" >&2; exit 1; }
  # A port can be taken between the check and the start (other builds share this machine): retry.
  for _ in 1 2 3 4 5; do
    port=$(shuf -i 20000-60000 -n 1)
    port_free "$port" || continue
    if as_postgres "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
      -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c max_connections=300 -c fsync=off" start \
      >>"$dir/pg_ctl.log" 2>&1; then
      echo "postgres://postgres@127.0.0.1:$port/postgres"
      return 0
    fi
  done
  echo "postgres.sh: the server did not start:" >&2
  tail -n 20 "$dir/pg_ctl.log" "$dir/server.log" >&2 || true
  exit 1
}

stop() {
  local dir=$1
  if [[ -f "$dir/data/postmaster.pid" ]]; then
    as_postgres "$(pg_bin)/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null || true
  fi
  rm -rf "$dir"
}

case "${1:-}" in
  start) start "$2" ;;
  stop) stop "$2" ;;
  run)
    shift
    dir=$(mktemp -d /tmp/webplus-pg.XXXXXX)
    trap 'stop "$dir"' EXIT
    WEBPLUS_TEST_DATABASE_URL=$(start "$dir")
    export WEBPLUS_TEST_DATABASE_URL
    echo "postgres.sh: tests use $WEBPLUS_TEST_DATABASE_URL" >&2
    "$@"
    ;;
  *)
    echo "usage: $0 run CMD... | start DIR | stop DIR" >&2
    exit 2
    ;;
esac
