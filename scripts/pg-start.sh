#!/usr/bin/env bash
# Start a throwaway PostgreSQL server for tests.
#
# Usage:  eval "$(scripts/pg-start.sh)"     (stop it with scripts/pg-stop.sh "$LATCHKEY_TEST_PG_DIR")
#
# stdout carries exactly two shell assignments:
#   LATCHKEY_TEST_POSTGRES=postgres://postgres@127.0.0.1:PORT/latchkey_test?sslmode=disable
#   LATCHKEY_TEST_PG_DIR=/tmp/latchkey-pg.XXXXXX
# Everything else goes to stderr. The server lives entirely in that temp dir (data, socket, log),
# listens only on 127.0.0.1 on a free port, trusts every local connection and never fsyncs.
# The packaged cluster on 5432 is never touched.
set -euo pipefail

# Keep stdout for the two result lines only.
exec 3>&1 1>&2

log() { echo "pg-start: $*" >&2; }

find_pg_bin() {
    if [[ -x /usr/lib/postgresql/15/bin/initdb ]]; then
        echo /usr/lib/postgresql/15/bin
        return
    fi
    local d
    d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
    if [[ -n "$d" && -x "$d/initdb" ]]; then
        echo "$d"
    fi
}

PG_BIN=$(find_pg_bin)
if [[ -z "$PG_BIN" ]]; then
    if [[ $(id -u) -ne 0 ]]; then
        log "no /usr/lib/postgresql/*/bin/initdb found; install PostgreSQL (apt-get install postgresql) or run scripts/ci-deps.sh as root"
        exit 1
    fi
    log "no PostgreSQL server binaries found; installing postgresql with apt-get"
    export DEBIAN_FRONTEND=noninteractive
    apt-get -o DPkg::Lock::Timeout=300 update -qq
    apt-get -o DPkg::Lock::Timeout=300 install -y -qq postgresql </dev/null
    PG_BIN=$(find_pg_bin)
    [[ -n "$PG_BIN" ]] || { log "postgresql installed but initdb still not found"; exit 1; }
fi

# Postgres refuses to run as root: as root, run the server tools as the postgres user.
AS_PG=()
if [[ $(id -u) -eq 0 ]]; then
    if ! getent passwd postgres >/dev/null; then
        log "running as root but there is no 'postgres' user to run the server as"
        exit 1
    fi
    AS_PG=(runuser -u postgres --)
fi
# fd 3 (our real stdout) is closed for these: a server that inherited it would keep a caller's
# $(scripts/pg-start.sh) waiting forever.
pg() { (cd "$DIR" && "${AS_PG[@]}" "$@" 3>&-); }

pick_port() {
    if command -v python3 >/dev/null 2>&1; then
        python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()' 2>/dev/null && return
    fi
    local p i
    for i in $(seq 1 100); do
        p=$((20000 + RANDOM % 40000))
        if ! ss -Htln "sport = :$p" 2>/dev/null | grep -q .; then
            echo "$p"
            return
        fi
    done
    log "could not find a free port"
    return 1
}

DIR=$(mktemp -d /tmp/latchkey-pg.XXXXXX)
touch "$DIR/.latchkey-pg" # marker: pg-stop.sh only removes dirs that carry it
DATA="$DIR/data"
LOGFILE="$DIR/postgres.log"
STARTED=0

cleanup_on_error() {
    local rc=$?
    if [[ $rc -ne 0 ]]; then
        log "failed (exit $rc); server log follows"
        [[ -f "$LOGFILE" ]] && tail -n 40 "$LOGFILE" >&2 || true
        if [[ $STARTED -eq 1 ]]; then
            pg "$PG_BIN/pg_ctl" -D "$DATA" -m immediate stop >/dev/null 2>&1 || true
        fi
        rm -rf "$DIR"
    fi
}
trap cleanup_on_error EXIT

if [[ ${#AS_PG[@]} -gt 0 ]]; then
    chown postgres:postgres "$DIR"
fi
chmod 700 "$DIR"

t0=$(date +%s.%N)
log "initdb in $DATA ($PG_BIN)"
pg "$PG_BIN/initdb" -D "$DATA" -U postgres -A trust --no-sync \
    --encoding=UTF8 --locale=C >"$DIR/initdb.log" 2>&1 \
    || { cat "$DIR/initdb.log" >&2; exit 1; }

PORT=""
for attempt in 1 2 3 4 5; do
    PORT=$(pick_port)
    log "starting server on 127.0.0.1:$PORT (attempt $attempt)"
    if pg "$PG_BIN/pg_ctl" -D "$DATA" -l "$LOGFILE" -w -t 60 \
        -o "-k $DIR -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c listen_addresses=127.0.0.1 -c port=$PORT -c max_connections=200" \
        start >/dev/null; then
        STARTED=1
        break
    fi
    if grep -qiE 'could not bind|address already in use' "$LOGFILE" 2>/dev/null && [[ $attempt -lt 5 ]]; then
        log "port $PORT was taken, retrying"
        continue
    fi
    exit 1
done

for _ in $(seq 1 120); do
    if "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$PORT" -U postgres -t 1; then
        break
    fi
    sleep 0.25
done
"$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$PORT" -U postgres -t 5 || { log "server not ready"; exit 1; }

"$PG_BIN/createdb" -h 127.0.0.1 -p "$PORT" -U postgres latchkey_test 3>&-

t1=$(date +%s.%N)
log "ready in $(awk "BEGIN{printf \"%.2f\", $t1-$t0}")s on port $PORT; stop with: scripts/pg-stop.sh $DIR"

echo "LATCHKEY_TEST_POSTGRES=postgres://postgres@127.0.0.1:$PORT/latchkey_test?sslmode=disable" >&3
echo "LATCHKEY_TEST_PG_DIR=$DIR" >&3
