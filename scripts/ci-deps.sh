#!/usr/bin/env bash
# Install what the tests need, idempotently; fast (well under a second) when all is present.
#
# Usage:  scripts/ci-deps.sh [chromium|postgresql|staticcheck|npm ...]     (no argument: all of them)
#
#   chromium     Debian's chromium, for the browser tests (apt)
#   postgresql   PostgreSQL server binaries for scripts/pg-start.sh (apt; only when no
#                /usr/lib/postgresql/*/bin/initdb exists, since reinstalling can upgrade packages)
#   staticcheck  honnef.co/go/tools/cmd/staticcheck@$STATICCHECK_VERSION into $(go env GOPATH)/bin
#   npm          `npm ci` in tests/js (SDK clients, reference servers) and tests/clients (the client
#                battery: mcp-remote, the MCP Inspector, Codex CLI, opencode), where a lockfile exists
#
# Set LATCHKEY_SKIP_DEPS=1 to skip everything (e.g. on a machine you manage yourself).
set -euo pipefail

STATICCHECK_VERSION=${STATICCHECK_VERSION:-v0.8.2} # = staticcheck 2026.2.2, supports Go 1.26

log() { echo "ci-deps: $*" >&2; }

if [[ "${LATCHKEY_SKIP_DEPS:-}" == 1 ]]; then
    log "LATCHKEY_SKIP_DEPS=1: skipping"
    exit 0
fi

cd "$(dirname "${BASH_SOURCE[0]}")/.."

want=("$@")
[[ ${#want[@]} -gt 0 ]] || want=(chromium postgresql staticcheck npm)
wants() { local w; for w in "${want[@]}"; do [[ "$w" == "$1" ]] && return 0; done; return 1; }

for w in "${want[@]}"; do
    case "$w" in
        chromium | postgresql | staticcheck | npm) ;;
        *) log "unknown component '$w' (known: chromium postgresql staticcheck npm)"; exit 2 ;;
    esac
done

have_initdb() { compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null; }

# ---- apt packages ---------------------------------------------------------------------------
apt_missing=()
if wants chromium && ! command -v chromium >/dev/null 2>&1; then
    apt_missing+=(chromium)
fi
if wants postgresql && ! have_initdb; then
    apt_missing+=(postgresql)
fi
if wants npm && compgen -G "tests/*/package-lock.json" >/dev/null && ! command -v npm >/dev/null 2>&1; then
    apt_missing+=(npm)
fi

if [[ ${#apt_missing[@]} -gt 0 ]]; then
    SUDO=()
    if [[ $(id -u) -ne 0 ]]; then
        if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
            SUDO=(sudo -n)
        else
            log "missing ${apt_missing[*]} and not root (no passwordless sudo): install them with apt-get, or set LATCHKEY_SKIP_DEPS=1"
            exit 1
        fi
    fi
    log "installing with apt-get: ${apt_missing[*]}"
    t0=$SECONDS
    export DEBIAN_FRONTEND=noninteractive
    aptlog=$(mktemp /tmp/latchkey-apt.XXXXXX.log)
    if ! { "${SUDO[@]}" apt-get -o DPkg::Lock::Timeout=300 update -qq &&
        "${SUDO[@]}" apt-get -o DPkg::Lock::Timeout=300 install -y -qq "${apt_missing[@]}"; } \
        </dev/null >"$aptlog" 2>&1; then
        tail -n 60 "$aptlog" >&2
        log "apt-get failed (full log: $aptlog)"
        exit 1
    fi
    rm -f "$aptlog"
    log "apt-get done in $((SECONDS - t0))s"
fi
if wants chromium; then
    log "chromium: $(chromium --version 2>/dev/null || echo '?') at $(command -v chromium)"
fi
if wants postgresql; then
    log "postgresql: $(ls -d /usr/lib/postgresql/*/bin | tr '\n' ' ')"
fi

# ---- staticcheck ----------------------------------------------------------------------------
if wants staticcheck; then
    gobin=$(go env GOBIN)
    [[ -n "$gobin" ]] || gobin="$(go env GOPATH)/bin"
    sc="$gobin/staticcheck"
    # `staticcheck -version` prints e.g. "staticcheck 2026.2.2 (0.8.2)".
    if [[ -x "$sc" ]] && "$sc" -version 2>/dev/null | grep -qF "(${STATICCHECK_VERSION#v})"; then
        log "staticcheck: $("$sc" -version) at $sc"
    else
        log "installing staticcheck@$STATICCHECK_VERSION into $gobin"
        t0=$SECONDS
        go install "honnef.co/go/tools/cmd/staticcheck@$STATICCHECK_VERSION" >&2
        log "staticcheck: $("$sc" -version) installed in $((SECONDS - t0))s"
    fi
    case ":$PATH:" in
        *":$gobin:"*) ;;
        *) log "note: add $gobin to PATH to use staticcheck directly" ;;
    esac
fi

# ---- npm (tests/js, tests/clients) ----------------------------------------------------------
if wants npm; then
    for dir in tests/js tests/clients; do
        [[ -f $dir/package-lock.json ]] || continue
        stamp=$dir/node_modules/.latchkey-lock.sha256
        sum=$(sha256sum "$dir/package-lock.json" | cut -d' ' -f1)
        if [[ -f "$stamp" && "$(cat "$stamp")" == "$sum" ]]; then
            log "$dir: node_modules up to date"
            continue
        fi
        t0=$SECONDS
        if [[ $dir == tests/clients ]]; then
            # The clients' per-platform binary packages for other systems are not all
            # served here, so `npm ci` (which wants every optional package of the lock)
            # refuses; `npm install` takes the locked versions and skips those.
            log "$dir: npm install (locked versions)"
            (cd "$dir" && npm install --no-audit --no-fund --no-save >&2)
        else
            log "$dir: npm ci"
            (cd "$dir" && npm ci --no-audit --no-fund >&2)
        fi
        echo "$sum" >"$stamp"
        log "$dir: npm ci done in $((SECONDS - t0))s"
    done
fi
