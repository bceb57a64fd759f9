#!/bin/sh
# `npm run deb`: builds the Debian package with Debian's own tools
# (dpkg-buildpackage writes it to the parent directory, as it always does)
# and moves it, with its .buildinfo and .changes, to dist-deb/. Prints the
# .deb's path. Needs the Build-Depends of debian/control (dpkg-dev, debhelper).
set -eu
cd "$(dirname "$0")/.."
dpkg-buildpackage -us -uc -b >&2
name="onlinkd_$(dpkg-parsechangelog -S Version)_$(dpkg-architecture -qDEB_HOST_ARCH)"
mkdir -p dist-deb
for ext in deb buildinfo changes; do mv -f "../$name.$ext" dist-deb/; done
echo "dist-deb/$name.deb"
