#!/usr/bin/env bash
# Run a command with a PostgreSQL test database available in $LATCHKEY_TEST_POSTGRES.
#
# Usage:  scripts/with-postgres.sh CMD [ARGS...]
#
# If LATCHKEY_TEST_POSTGRES is already set, CMD simply runs with it. Otherwise a throwaway server
# is started with scripts/pg-start.sh, stopped again when CMD ends (however it ends), and the
# script exits with CMD's status.
set -euo pipefail

if [[ $# -eq 0 ]]; then
    echo "usage: $0 CMD [ARGS...]" >&2
    exit 2
fi

if [[ -n "${LATCHKEY_TEST_POSTGRES:-}" ]]; then
    exec "$@"
fi

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

pg_env=$("$here/pg-start.sh") # a failed start stops us here (set -e)
eval "$pg_env"
export LATCHKEY_TEST_POSTGRES LATCHKEY_TEST_PG_DIR

trap '"$here/pg-stop.sh" "$LATCHKEY_TEST_PG_DIR" || true' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

set +e
"$@"
status=$?
set -e
exit "$status"
