#!/bin/sh
# Capture real clients' first frames into test/fixtures/ (see test/fixtures/README.md).
# Needs root, network namespaces and the Debian clients; all traffic stays in
# namespaces the script creates and removes. Usage:
#   scripts/capture-fixtures.sh [--out DIR] [--only name,name]
set -eu
cd "$(dirname "$0")/.."
build=node_modules/.cache/capture-fixtures
rm -rf "$build"
mkdir -p "$build"
# Compile the script and what it imports with the project's compiler options, inside the
# project so that `vitest` (imported by test/e2e/lab.ts) and "type": "module" resolve.
cat > "$build/tsconfig.json" <<JSON
{
  "extends": "../../../tsconfig.json",
  "compilerOptions": { "rootDir": "../../..", "outDir": ".", "sourceMap": false, "noEmit": false },
  "include": [],
  "files": ["../../../scripts/capture-fixtures.ts"]
}
JSON
node_modules/.bin/tsc -p "$build/tsconfig.json"
exec node "$build/scripts/capture-fixtures.js" "$@"
