#!/usr/bin/env bash
# Run every Go fuzz target in the module for a while, one target per go test
# invocation (go fuzzes one target at a time), and report each.
#
# Usage:  scripts/fuzz.sh [NAME_REGEX]
#
#   NAME_REGEX      only targets whose name matches (grep -E), e.g. 'ParseCalls|SafeSubpath'
#   FUZZTIME        time per target, any -fuzztime value (default 10s; FUZZTIME=5m for a long run)
#   FUZZPARALLEL    fuzz workers per target (default 2, the CI machine's cores)
#
# Each target's seed corpus (f.Add seeds and testdata/fuzz/<Name>/) runs first.
# The coverage cache stays in $(go env GOCACHE)/fuzz; a failing input go finds
# is written to <package>/testdata/fuzz/<Name>/ and named in the summary.
# Exits non-zero when any target fails.
set -uo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

fuzztime=${FUZZTIME:-10s}
parallel=${FUZZPARALLEL:-2}
filter=${1:-.}
logs=$(mktemp -d "${TMPDIR:-/tmp}/latchkey-fuzz.XXXXXX")

# Targets as "dir name" pairs, from the module's package directories.
mapfile -t targets < <(
    go list -f '{{.Dir}}' ./... | while read -r dir; do
        rel=${dir#"$PWD"}
        rel=${rel#/}
        grep -ho -E '^func Fuzz[A-Za-z0-9_]*\(' "$dir"/*_test.go 2>/dev/null |
            sed -E 's/^func (Fuzz[A-Za-z0-9_]*)\(/\1/' | sort -u | sed "s|^|${rel:-.} |"
    done | awk -v re="$filter" '$2 ~ re'
)
if [[ ${#targets[@]} -eq 0 ]]; then
    echo "fuzz: no fuzz targets match '$filter'" >&2
    exit 2
fi

echo "fuzz: ${#targets[@]} targets, $fuzztime each, $parallel workers; logs in $logs"
failed=0
summary=()
for t in "${targets[@]}"; do
    read -r dir name <<<"$t"
    log="$logs/$name.log"
    go test -run '^$' -fuzz "^${name}\$" -fuzztime "$fuzztime" -parallel "$parallel" -timeout 0 "./$dir" >"$log" 2>&1
    rc=$?
    # The last progress line carries the total: "fuzz: elapsed: 10s, execs: 123456 (12345/sec), ..."
    execs=$(grep -o 'execs: [0-9]*' "$log" | tail -1 | awk '{print $2}')
    if [[ $rc -eq 0 ]]; then
        status=ok
    else
        status=FAIL
        failed=1
        input=$(grep -o 'testdata/fuzz/[^ ]*' "$log" | tail -1)
        [[ -n "$input" ]] && status="FAIL (input $dir/$input)"
        echo "---- $dir $name" >&2
        grep -v '^fuzz: elapsed' "$log" | head -40 >&2
    fi
    line=$(printf '%-12s %-28s execs %10s  %s' "$dir" "$name" "${execs:--}" "$status")
    echo "$line"
    summary+=("$line")
done

echo
echo "fuzz: summary ($fuzztime per target)"
printf '%s\n' "${summary[@]}"
if [[ $failed -ne 0 ]]; then
    echo "fuzz: FAILED; full logs in $logs" >&2
    exit 1
fi
rm -rf "$logs"
