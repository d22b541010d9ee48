#!/usr/bin/env bash
# govulncheck against a local copy of the Go vulnerability database, for machines (like CI here)
# that cannot reach the online database.
#
# Usage:  scripts/govulncheck.sh [govulncheck flags and patterns]      (default: ./...)
#         e.g. scripts/govulncheck.sh -show verbose ./...
#
# How: the golang.org/x/vulndb module (fetched through the Go module proxy like any module, so
# it lands in the module cache keyed by its version and is checked against go.sum's checksum
# database) ships every report as OSV JSON in data/osv/GO-YYYY-NNNN.json. govulncheck's
# `-db file://DIR` reads a v1 database (index/db.json, index/modules.json, ID/*.json) or, when
# DIR has no index/modules.json, a flat folder of <ID>.json OSV files, which it indexes in
# memory (golang.org/x/vuln internal/client: newHybridSource, about a second). So no build step
# is needed: the module's data/osv is the database. (x/vulndb's cmd/indexdb can write the v1
# layout from that folder too, but it pulls in ~60 cloud modules; cmd/gendb needs a git clone.)
#
# Exit status is govulncheck's: 0 when no vulnerability reaches code that is called, 3 when one
# does (vulnerabilities only in imported-but-uncalled code print a note and exit 0), anything
# else on error.
#
# The standard library is scanned at the version of the `go` that runs this: to scan (and build)
# with a patched toolchain, e.g.  GOTOOLCHAIN=go1.26.11 scripts/govulncheck.sh
#
# Environment:
#   GOVULNCHECK_VERSION      golang.org/x/vuln version to install (default below)
#   LATCHKEY_VULNDB_VERSION  golang.org/x/vulndb version (default: latest; pin a pseudo-version
#                            such as v0.0.0-20261105234957-e22db6528018 for a reproducible run).
#                            When `latest` cannot be resolved, the newest cached copy is used.
#   LATCHKEY_VULNDB_DIR      use this folder of OSV JSON (or v1 database) instead
set -euo pipefail

GOVULNCHECK_VERSION=${GOVULNCHECK_VERSION:-v1.10.0}
VULNDB_MODULE=golang.org/x/vulndb
VULNDB_VERSION=${LATCHKEY_VULNDB_VERSION:-latest}

log() { echo "govulncheck.sh: $*" >&2; }

cd "$(dirname "${BASH_SOURCE[0]}")/.."
root=$PWD
t_start=$SECONDS

# ---- govulncheck ----------------------------------------------------------------------------
gobin=$(go env GOBIN)
[[ -n "$gobin" ]] || gobin="$(go env GOPATH)/bin"
gvc="$gobin/govulncheck"
# `govulncheck -version` prints "Scanner: govulncheck@v1.10.0" among other lines.
if [[ -x "$gvc" ]] && "$gvc" -version 2>/dev/null | grep -qxF "Scanner: govulncheck@$GOVULNCHECK_VERSION"; then
    :
else
    log "installing golang.org/x/vuln/cmd/govulncheck@$GOVULNCHECK_VERSION into $gobin"
    t0=$SECONDS
    go install "golang.org/x/vuln/cmd/govulncheck@$GOVULNCHECK_VERSION" >&2
    log "installed in $((SECONDS - t0))s"
fi

# ---- the database ---------------------------------------------------------------------------
if [[ -n "${LATCHKEY_VULNDB_DIR:-}" ]]; then
    dbdir=$LATCHKEY_VULNDB_DIR
    dbversion="(LATCHKEY_VULNDB_DIR)"
else
    t0=$SECONDS
    tmp=$(mktemp -d)
    trap 'rm -rf "$tmp"' EXIT
    # Outside any module, so the repository's go.mod and go.sum are never touched.
    # With -json, go reports a failure as an "Error" field on stdout.
    if info=$(cd "$tmp" && go mod download -json "$VULNDB_MODULE@$VULNDB_VERSION" 2>"$tmp/err"); then
        dbversion=$(sed -n 's/^[[:space:]]*"Version": "\(.*\)",$/\1/p' <<<"$info")
        moddir=$(sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p' <<<"$info")
    elif [[ "$VULNDB_VERSION" == latest ]]; then
        { cat "$tmp/err"; sed -n 's/^[[:space:]]*"Error": "\(.*\)"$/\1/p' <<<"$info"; } >&2
        # Pseudo-versions sort by their timestamp, so the lexically last is the newest.
        moddir=$(compgen -G "$(go env GOMODCACHE)/$VULNDB_MODULE@v*" | sort | tail -n 1 || true)
        [[ -n "$moddir" ]] || { log "cannot fetch $VULNDB_MODULE and no copy is cached"; exit 2; }
        dbversion=${moddir##*@}
        log "could not resolve $VULNDB_MODULE@latest: using the cached $dbversion"
    else
        { cat "$tmp/err"; sed -n 's/^[[:space:]]*"Error": "\(.*\)"$/\1/p' <<<"$info"; } >&2
        log "cannot fetch $VULNDB_MODULE@$VULNDB_VERSION"
        exit 2
    fi
    dbdir="$moddir/data/osv"
    [[ -f "$dbdir/GO-2020-0001.json" ]] || { log "$dbdir holds no OSV entries"; exit 2; }
    log "database $VULNDB_MODULE@$dbversion ($(find "$dbdir" -maxdepth 1 -name 'GO-*.json' | wc -l) entries) ready in $((SECONDS - t0))s"
fi
case $dbversion in
    v0.0.0-*) # v0.0.0-YYYYMMDDhhmmss-commit: the commit's date is the database's date
        d=${dbversion#v0.0.0-}
        log "database date: ${d:0:4}-${d:4:2}-${d:6:2} (entries in data/osv carry no modified time)" ;;
esac

# ---- scan -----------------------------------------------------------------------------------
[[ $# -gt 0 ]] || set -- ./...
log "$("$gvc" -version 2>/dev/null | sed -n 's/^Scanner: //p'), $(go env GOVERSION), $*"
t0=$SECONDS
rc=0
(cd "$root" && "$gvc" -db "file://$dbdir" "$@") || rc=$?
log "scan took $((SECONDS - t0))s (total $((SECONDS - t_start))s), exit $rc"
exit "$rc"
