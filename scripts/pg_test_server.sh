#!/usr/bin/env bash
# A throw-away local PostgreSQL server for the test suite (`make test`) and the benchmarks.
#
#   scripts/pg_test_server.sh start   # prints the URL and writes it to .pgtest/url
#   scripts/pg_test_server.sh stop    # stops the server and deletes its data
#
# The server listens on 127.0.0.1 only, on a free port, with trust authentication, and its data
# lives in .pgtest/data (or a private folder under /tmp when the postgres user cannot reach the
# repository). It is a test fixture: by default it runs with fsync=off (NT_PGTEST_FSYNC=on to
# measure honest commit latency). When no PostgreSQL binaries can be found (or installed, as
# root with apt-get), `start` says so and exits 0 without writing a URL: the PostgreSQL tests
# then skip with the reason stated.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
STATE="${NT_PGTEST_DIR:-$ROOT/.pgtest}"
URL_FILE="$STATE/url"
DATA_PTR="$STATE/datadir"
DB_NAME="nt_test"

log() { echo "pg_test_server: $*" >&2; }

find_bindir() {
    local candidate
    if candidate="$(command -v initdb 2>/dev/null)"; then
        dirname "$(readlink -f "$candidate")"
        return 0
    fi
    for candidate in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
        if [ -x "$candidate/initdb" ]; then
            echo "$candidate"
            return 0
        fi
    done
    return 1
}

# Runs a PostgreSQL binary as the postgres user when we are root (the server refuses root).
as_pg() {
    if [ "$(id -u)" -eq 0 ]; then
        if command -v runuser >/dev/null 2>&1; then
            runuser -u postgres -- "$@"
        else
            su postgres -s /bin/sh -c "$(printf '%q ' "$@")"
        fi
    else
        "$@"
    fi
}

free_port() {
    local py
    py="$(command -v python3 || command -v python || true)"
    if [ -n "$py" ]; then
        "$py" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
    else
        echo $((20000 + RANDOM % 20000))
    fi
}

data_dir() { [ -f "$DATA_PTR" ] && cat "$DATA_PTR" || true; }

is_running() {
    local data bindir url port
    data="$(data_dir)"
    [ -n "$data" ] && [ -s "$URL_FILE" ] || return 1
    bindir="$(find_bindir)" || return 1
    url="$(cat "$URL_FILE")"
    port="${url##*:}"
    port="${port%%/*}"
    as_pg "$bindir/pg_ctl" -D "$data" status >/dev/null 2>&1 &&
        "$bindir/pg_isready" -q -h 127.0.0.1 -p "$port" -t 2 >/dev/null 2>&1
}

stop() {
    local data bindir
    data="$(data_dir)"
    if [ -n "$data" ] && [ -d "$data" ]; then
        if bindir="$(find_bindir)"; then
            as_pg "$bindir/pg_ctl" -D "$data" stop -m fast -w -t 10 >/dev/null 2>&1 || true
        fi
        rm -rf "$data"
    fi
    rm -rf "$STATE"
}

start() {
    if is_running; then
        cat "$URL_FILE"
        return 0
    fi
    stop  # leftovers of a crashed run

    local bindir
    if ! bindir="$(find_bindir)"; then
        if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
            log "PostgreSQL not found; installing it with apt-get (quiet)"
            export DEBIAN_FRONTEND=noninteractive
            { apt-get update -qq && apt-get install -y -qq postgresql; } >/dev/null 2>&1 || true
        fi
        if ! bindir="$(find_bindir)"; then
            log "no PostgreSQL server binaries (initdb) found: the PostgreSQL tests will be" \
                "skipped. Install PostgreSQL (apt-get install postgresql) to run them."
            return 0
        fi
    fi

    mkdir -p "$STATE"
    local data="$STATE/data"
    if [ "$(id -u)" -eq 0 ]; then
        mkdir -p "$data"
        chown postgres: "$data" 2>/dev/null || true
        # The server's unix socket lives in the data folder and its path must stay short.
        if ! runuser -u postgres -- test -w "$data" 2>/dev/null || [ "${#data}" -gt 80 ]; then
            rm -rf "$data"
            data="$(mktemp -d /tmp/nt-pgtest.XXXXXX)"
            chown postgres: "$data"
        fi
    fi
    if [ "$(id -u)" -ne 0 ]; then
        mkdir -p "$data"
        [ "${#data}" -le 80 ] || data="$(mktemp -d /tmp/nt-pgtest.XXXXXX)"
    fi
    chmod 700 "$data"
    echo "$data" >"$DATA_PTR"

    as_pg "$bindir/initdb" -D "$data" -U postgres --auth=trust -E UTF8 --locale=C --no-sync \
        >"$STATE/initdb.log" 2>&1 || {
        log "initdb failed:"
        tail -n 20 "$STATE/initdb.log" >&2
        return 1
    }

    local fsync="${NT_PGTEST_FSYNC:-off}" port attempt
    for attempt in 1 2 3; do
        port="$(free_port)"
        if as_pg "$bindir/pg_ctl" -D "$data" -l "$data/server.log" -w -t 20 \
            -o "-c listen_addresses=127.0.0.1 -p $port -k $data -c fsync=$fsync -c max_connections=200" \
            start >/dev/null 2>&1; then
            break
        fi
        if [ "$attempt" -eq 3 ]; then
            log "the server did not start:"
            tail -n 20 "$data/server.log" >&2 || true
            return 1
        fi
    done

    as_pg "$bindir/psql" -q -h 127.0.0.1 -p "$port" -U postgres -d postgres \
        -c "CREATE DATABASE $DB_NAME" >/dev/null
    echo "postgresql+psycopg://postgres@127.0.0.1:$port/$DB_NAME" >"$URL_FILE"
    cat "$URL_FILE"
}

case "${1:-}" in
start) start ;;
stop) stop ;;
*)
    echo "usage: $0 start|stop" >&2
    exit 2
    ;;
esac
