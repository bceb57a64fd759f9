/**
 * Fuzzing the control request path with fast-check: arbitrary lines,
 * arbitrary JSON and near-valid requests go through the dispatcher. It must
 * always answer (never throw), with a well-formed one-line response; a
 * binding it accepts must survive being written and read back unchanged; a
 * request it refuses must not have touched the bindings. Last, requests cut
 * at random points on a real socket must come back whole and in order.
 *
 * The default run is short. For a long run:
 *     FUZZ_RUNS=200000 npx vitest run test/fuzz/control.fuzz.test.ts
 * FUZZ_SEED=<n> replays a run.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { RUNS, fuzzParams, fuzzTimeout } from './harness.js';
import { parseBindingFile, serializeBinding } from '../../src/bindings/binding-file.js';
import { dispatch, handleLine } from '../../src/control/dispatch.js';
import { BINDING_ADD_KEYS, encodeResponse, responseSchema } from '../../src/control/protocol.js';
import { COMMANDS } from '../../src/control/commands.js';
import { ControlServer } from '../../src/control/server.js';
import { FakeContext, READER, ROOT, TAP10, binding } from '../unit/control/fake-context.js';

const params = fuzzParams;
// Async properties over a fake daemon: about 0.1 ms each; long runs need the room.
const TIMEOUT = fuzzTimeout(1);

function wellFormed(r: unknown): void {
  expect(responseSchema.safeParse(r).success).toBe(true);
  const line = encodeResponse(r as never);
  expect(line.indexOf('\n')).toBe(line.length - 1);
}

const commands = Object.keys(COMMANDS);
const argKeys = [...BINDING_ADD_KEYS, 'from', 'limit', 'bogus', '__proto__', 'constructor'];
const fieldValue = fc.oneof(
  fc.string(),
  fc.constantFrom('aa:00:00:00:00:10', '203.0.113.10', '203.0.113.0/24', '203.0.113.1', '2001:db8:10::/64', '2001:db8:10::1', 'fe80::1%tap10',
    '1500', 'tap10', '10.0.0.0/8 via 203.0.113.1', '', ' ', '"', "'", '#', 'a\nMAC=x', '\u0000', '𝕏', 'example.org'),
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.string(), { maxLength: 3 }),
  fc.dictionary(fc.string(), fc.string(), { maxKeys: 2 }),
);
const nearValidRequest = fc.record(
  {
    command: fc.oneof(fc.constantFrom(...commands), fc.string()),
    arguments: fc.oneof(fc.dictionary(fc.constantFrom(...argKeys), fieldValue, { maxKeys: 8 }), fieldValue),
  },
  { requiredKeys: ['command'] },
);

describe('control fuzz', () => {
  it('any line gets a well-formed response, never an exception', { timeout: TIMEOUT }, async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.string(), fc.string({ unit: 'binary' }), fc.json()), async (line) => {
        wellFormed(await handleLine(line, new FakeContext([binding('tap10', TAP10)]), ROOT));
      }),
      params(),
    );
  });

  it('any JSON value or near-valid request is answered; refused mutations change nothing', { timeout: TIMEOUT }, async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.jsonValue(), nearValidRequest), fc.boolean(), async (req, root) => {
        const ctx = new FakeContext([binding('tap10', TAP10)]);
        const r = await dispatch(req, ctx, root ? ROOT : READER);
        wellFormed(r);
        if (r.result !== 0 || !root) {
          // Nothing was added or removed (a successful announce/reload touches no binding either).
          expect([...ctx.infos.keys()]).toEqual(['tap10']);
        }
      }),
      params(),
    );
  });

  it('an accepted binding-add survives write + read back unchanged, and equals the file parse', { timeout: TIMEOUT }, async () => {
    // Mostly valid values with a random one mixed in, so both outcomes are common.
    const mostly = <T,>(valid: fc.Arbitrary<T>, other: fc.Arbitrary<unknown>) => fc.oneof({ arbitrary: valid, weight: 4 }, { arbitrary: other, weight: 1 });
    const args = fc.record(
      {
        tap: mostly(fc.constantFrom('tap10', 'vnet0', 'eth0.100', 'tap-x'), fc.string({ maxLength: 17 })),
        mac: mostly(fc.constant('aa:00:00:00:00:10'), fc.string()),
        ip: mostly(fc.constant('203.0.113.10'), fc.string()),
        subnet: fc.constantFrom('203.0.113.0/24', '203.0.113.0/25', '0.0.0.0/0'),
        gateway: mostly(fc.constant('203.0.113.1'), fc.string()),
        hostname: mostly(fc.stringMatching(/^[\x21-\x7e]{1,20}$/), fc.string({ unit: 'binary-ascii' })),
        tags: fc.string(),
        domain: mostly(fc.constant('example.org'), fc.string()),
        mtu: mostly(fc.integer({ min: 68, max: 65535 }), fc.oneof(fc.integer(), fc.string())),
        uplink: mostly(fc.stringMatching(/^[a-z0-9]{1,15}$/), fc.string({ maxLength: 16 })),
        routes: fc.array(mostly(fc.constant('10.0.0.0/8 via 203.0.113.1'), fc.string()), { maxLength: 2 }),
        dns: fc.array(mostly(fc.constant('192.0.2.53'), fc.string()), { maxLength: 2 }),
        macspoof: fc.boolean(),
      },
      { requiredKeys: ['tap', 'mac'] },
    );
    let accepted = 0;
    let refused = 0;
    await fc.assert(
      fc.asyncProperty(args, async (a) => {
        const ctx = new FakeContext();
        const r = await dispatch({ command: 'binding-add', arguments: a }, ctx, ROOT);
        wellFormed(r);
        const tap = String(a.tap);
        const stored = ctx.infos.get(tap)?.binding;
        if (r.result === 0) {
          expect(stored).toBeDefined();
          const again = parseBindingFile(tap, serializeBinding(stored!));
          expect(again.ok && again.binding).toEqual(stored);
          accepted++;
        } else {
          refused++;
          expect(r.result).toBe(1);
          expect(ctx.infos.size).toBe(0);
          expect(r.text.length).toBeGreaterThan(0);
        }
      }),
      params(),
    );
    if (RUNS >= 100) {
      expect(accepted).toBeGreaterThan(0);
      expect(refused).toBeGreaterThan(0);
    }
  });

  it('requests cut at random points on a real socket come back whole and in order', { timeout: TIMEOUT }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'onlinkd-fuzz-'));
    const path = join(dir, 'control.sock');
    const ctx = new FakeContext([binding('tap10', TAP10)]);
    const server = await ControlServer.start({ path, context: ctx, log: pino({ level: 'silent' }) });
    try {
      const req = fc.constantFrom(
        '{"command":"version-get"}',
        '{"command":"binding-get","arguments":{"tap":"tap10"}}',
        '{"command":"binding-get","arguments":{"tap":"tap99"}}',
        '{"command":"nope"}',
        '{broken',
        '{"command":"status-get","arguments":{"x":"é𝕏"}}',
      );
      await fc.assert(
        fc.asyncProperty(fc.array(req, { minLength: 1, maxLength: 12 }), fc.array(fc.nat(), { maxLength: 8 }), async (reqs, cuts) => {
          const payload = Buffer.from(reqs.map((l) => `${l}\n`).join(''));
          const points = [...new Set(cuts.map((c) => c % payload.length))].sort((x, y) => x - y);
          const expected = await Promise.all(reqs.map((l) => handleLine(l, ctx, { ...ROOT, uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0 })));
          const got = await new Promise<string>((resolve, reject) => {
            const s = net.connect(path);
            let out = '';
            s.on('data', (d) => (out += d));
            s.on('close', () => resolve(out));
            s.on('error', reject);
            s.on('connect', async () => {
              let prev = 0;
              for (const p of [...points, payload.length]) {
                s.write(payload.subarray(prev, p)); // may split a multi-byte character
                prev = p;
                await new Promise((r) => setImmediate(r));
              }
              s.end();
            });
          });
          expect(got.split('\n').filter(Boolean).map((l) => JSON.parse(l))).toEqual(expected.map((e) => JSON.parse(JSON.stringify(e))));
        }),
        params(Math.max(1, Math.floor(RUNS / 10))),
      );
    } finally {
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
