#!/usr/bin/env bash
# Long forms of the hardening suites (issue 6): a 10 s flood, 1000 tap/binding
# churn cycles, 50 SIGKILL rounds during binding-add streams, plus the fault
# and privilege suites. Needs root (network namespaces), cc, and the e2e
# clients (see README "Tests"). Prints the HARDENING_* JSON summaries at the
# end. Extra arguments go to vitest (e.g. -t churn).
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$(id -u)" != 0 ]; then
  echo "hardening-long: needs root (it builds network namespaces)" >&2
  exit 1
fi

npm run build >/dev/null
log=$(mktemp /tmp/onlinkd-hardening-XXXXXX.log)
status=0
HARDENING_LONG=1 npx vitest run test/e2e/hardening-*.test.ts "$@" 2>&1 | tee "$log" || status=$?
echo
echo "---- summaries (full log: $log)"
# vitest colours the line prefix; keep the JSON.
grep -a -o 'HARDENING_[A-Z_]* {.*}' "$log" || true
exit "$status"
