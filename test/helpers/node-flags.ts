/**
 * The node flags onlinkd runs with, as systemd/onlinkd.service and
 * `npm start` pass them (test/unit/systemd-unit.test.ts keeps the three in
 * step). A packet daemon's garbage is short-lived: a 2 MB young generation
 * holds it, where V8's default lets it grow to 16 MB per semi-space, about
 * 24 MB of RSS at 4096 taps for no measurable speed (bench: same DORA/s).
 */
export const ONLINKD_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=2'];
