#!/usr/bin/env bash
# Stop a server started by scripts/pg-start.sh and remove its directory.
#
# Usage:  scripts/pg-stop.sh DIR        (DIR defaults to $LATCHKEY_TEST_PG_DIR)
#
# Idempotent: a missing dir or an already stopped server is not an error.
set -euo pipefail

log() { echo "pg-stop: $*" >&2; }

DIR=${1:-${LATCHKEY_TEST_PG_DIR:-}}
if [[ -z "$DIR" ]]; then
    log "usage: $0 DIR (or set LATCHKEY_TEST_PG_DIR)"
    exit 2
fi
if [[ ! -d "$DIR" ]]; then
    log "$DIR does not exist; nothing to do"
    exit 0
fi
if [[ ! -e "$DIR/.latchkey-pg" ]]; then
    log "refusing to touch $DIR: not a directory created by pg-start.sh"
    exit 1
fi

DATA="$DIR/data"
if [[ -f "$DATA/postmaster.pid" ]]; then
    PG_BIN=""
    if [[ -f "$DATA/PG_VERSION" ]]; then
        v=$(cat "$DATA/PG_VERSION")
        [[ -x "/usr/lib/postgresql/$v/bin/pg_ctl" ]] && PG_BIN="/usr/lib/postgresql/$v/bin"
    fi
    stopped=0
    if [[ -n "$PG_BIN" ]]; then
        AS_PG=()
        [[ $(id -u) -eq 0 ]] && AS_PG=(runuser -u postgres --)
        if (cd "$DIR" && "${AS_PG[@]}" "$PG_BIN/pg_ctl" -D "$DATA" -m immediate -w -t 30 stop >/dev/null 2>&1); then
            stopped=1
        fi
    fi
    if [[ $stopped -eq 0 && -f "$DATA/postmaster.pid" ]]; then
        # pg_ctl missing or failed: kill the postmaster directly.
        pid=$(head -n 1 "$DATA/postmaster.pid" 2>/dev/null || true)
        if [[ "$pid" =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null; then
            log "pg_ctl stop failed; killing postmaster $pid"
            kill -QUIT "$pid" 2>/dev/null || true
            for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
            kill -KILL "$pid" 2>/dev/null || true
        fi
    fi
fi

rm -rf -- "$DIR"
# Quiet on success: this often runs right after `go test`, whose closing lines should stay last.
[[ -z "${PG_VERBOSE:-}" ]] || log "stopped and removed $DIR"
