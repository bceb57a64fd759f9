#!/usr/bin/env bash
# npm run bench [-- options]: onlinkd side by side with dnsmasq and Kea (issue 5).
#
# Installs what is missing (dnsmasq-base, kea-dhcp4-server, kea-dhcp6-server,
# a C compiler) from Debian without ever starting a distro service, builds
# onlinkd, the load generator and the bench, then runs test/bench/run.ts with
# the arguments given (see that file, or BENCHMARKS.md, for the options).
# `npm run bench -- profile [--exchange dora|rs|ns|ir] [--duration S] [--taps N]`
# profiles onlinkd under load instead (test/bench/profile.ts);
# `npm run bench -- routes [--bindings N] [--rounds R]` runs only the routed
# hypervisor scenario (test/bench/routes.ts: 1,000 bindings' host routes).
# Needs root: everything runs in network namespaces it creates and removes.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$(id -u)" != 0 ]; then
  echo "bench: needs root (it builds network namespaces)" >&2
  exit 1
fi

need=()
have() { [ -x "/usr/sbin/$1" ] || [ -x "/usr/bin/$1" ] || [ -x "/sbin/$1" ] || [ -x "/bin/$1" ]; }
if [ "${1:-}" != routes ]; then # the routes scenario runs onlinkd alone
  have dnsmasq || need+=(dnsmasq-base)
  have kea-dhcp4 || need+=(kea-dhcp4-server)
  have kea-dhcp6 || need+=(kea-dhcp6-server)
  have cc || need+=(gcc libc6-dev)
fi
have ip || need+=(iproute2)
have ss || need+=(iproute2)

if [ "${#need[@]}" -gt 0 ]; then
  echo "bench: installing ${need[*]}"
  # Packages may try to start their services on install: forbid it for the
  # duration (invoke-rc.d honours policy-rc.d), unless a policy is already there.
  policy=/usr/sbin/policy-rc.d
  created_policy=
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\n# written by onlinkd scripts/bench.sh for one apt-get install\nexit 101\n' >"$policy"
    chmod 755 "$policy"
    created_policy=1
  fi
  cleanup() { if [ -n "$created_policy" ]; then rm -f "$policy"; fi; }
  trap cleanup EXIT
  export DEBIAN_FRONTEND=noninteractive
  if ! apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null; then
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  fi
  # Kea's packages enable their units for the next boot: the bench only ever
  # runs them by hand inside its namespaces, so undo that (nothing is started).
  for unit in kea-dhcp4-server kea-dhcp6-server; do
    case " ${need[*]} " in
      *" $unit "*) systemctl disable "$unit" >/dev/null 2>&1 || true ;;
    esac
  done
  cleanup
  trap - EXIT
fi

# node-gyp needs Node's headers; offline it finds them only through nodedir.
if [ -z "${npm_config_nodedir:-}" ] && [ -f /usr/include/node/node_api.h ]; then
  export npm_config_nodedir=/usr
fi
[ -f build/Release/onlinkd_native.node ] || npm run install --silent
npm run build --silent
npx tsc -p test/bench/tsconfig.json
if [ "${1:-}" = profile ]; then
  shift
  exec node node_modules/.cache/onlinkd-bench/js/test/bench/profile.js "$@"
fi
if [ "${1:-}" = routes ]; then
  shift
  exec node node_modules/.cache/onlinkd-bench/js/test/bench/routes.js "$@"
fi
exec node node_modules/.cache/onlinkd-bench/js/test/bench/run.js "$@"
