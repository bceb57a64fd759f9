/**
 * The routed-hypervisor bench (routes.ts, `npm run bench -- routes`): its
 * BENCHMARKS.md section is rewritten alone between its markers, and the
 * scenario runs end to end on a few bindings (no speed asserted: the bench
 * measures; CI only proves the harness works).
 */
import { expect, it } from 'vitest';
import { describeLab } from '../e2e/lab.js';
import { assertBuilt } from '../e2e/onlinkd.js';
import { routedRouteCount } from '../e2e/routed-taps.js';
import { routesSection, runRoutes, withRoutesSection, type RoutesResult, type RoutesRound } from './routes.js';

const round = (ms: number): RoutesRound => ({ startToReadyMs: ms, startToRoutesMs: ms + 1, filesDeletedToGoneMs: ms, addsAckedMs: ms, addsToRoutesMs: ms + 2, delsToGoneMs: ms, errors: 0 });
const result = (ms: number): RoutesResult => ({ bindings: 1000, routes: routedRouteCount(1000), date: '2026-12-07T00:00:00.000Z', load: [0.1, 0.2], rounds: [round(ms)], median: round(ms) });

it('the section says the goal per way of giving the bindings, and replaces only itself', () => {
  const fast = routesSection(result(500));
  expect(fast).toContain('### Routed hypervisor: 1,000 bindings');
  expect(fast).toContain('each binding wants EUI64/128 and IP6/128, the first 508 also IP/32 (2,508 routes)');
  expect(fast).toContain('at start: met (501 ms); by `binding-add`: met (502 ms)');
  expect(routesSection(result(1200))).toContain('at start: not met (1201 ms)');

  const md = '# Benchmarks\n\n## Results\n\ntables\n\n## What limits onlinkd here\n\nprose\n';
  const once = withRoutesSection(md, fast);
  expect(once.indexOf(fast)).toBeGreaterThan(once.indexOf('tables'));
  expect(once.indexOf(fast)).toBeLessThan(once.indexOf('## What limits'));
  const slow = routesSection(result(1200));
  const twice = withRoutesSection(once, slow);
  expect(twice).toBe(once.replace(fast, slow));
  expect(withRoutesSection('# Benchmarks\n', fast)).toBe(`# Benchmarks\n\n${fast}\n`);
  const goals = withRoutesSection(md.replace('\n## What', '\n### Issue 5 goals\n\ngoals\n\n## What'), fast);
  expect(goals.indexOf(fast)).toBeLessThan(goals.indexOf('### Issue 5 goals'));
});

describeLab('routes bench harness (smoke)', () => {
  it('runs a round on 20 bindings: every route installed and removed, no error logged', async () => {
    assertBuilt();
    const lines: string[] = [];
    const x = await runRoutes({ bindings: 20, rounds: 1, log: (l) => lines.push(l) });
    expect(x.routes).toBe(routedRouteCount(20)); // 60: 20 bindings, each IPv6 twice and IPv4
    expect(x.rounds).toHaveLength(1);
    expect(x.median.errors).toBe(0);
    expect(x.median.startToRoutesMs).toBeGreaterThan(0);
    expect(lines).toHaveLength(1);
  }, 60_000);
});
