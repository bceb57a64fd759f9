/**
 * Hardening, crash consistency (issue 6 item 3): a stream of binding-add
 * calls over the control socket (several clients at once, new taps and
 * replacements), SIGKILL of the daemon at a random moment, restart. Every
 * binding file must parse, every acknowledged add must be there with the
 * acknowledged content (or, for the one add per client that was in flight,
 * the newer content: written but not yet acknowledged), the restarted daemon
 * must serve exactly that, and no temporary file may be left behind.
 *
 * Short form: 5 rounds. Long form: HARDENING_LONG=1 (50) or
 * HARDENING_CRASH_ROUNDS=N.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { parseBindingFile } from '../../src/bindings/binding-file.js';
import { ControlClientError, request } from '../../src/control/client.js';
import { Lab, describeLab, sleep } from './lab.js';
import { Onlinkd } from './onlinkd.js';
import { knob } from './hardening-util.js';

const hex2 = (n: number) => (n & 0xff).toString(16).padStart(2, '0');
const ROUNDS = knob('CRASH_ROUNDS', 5, 50);
const CLIENTS = 8;
/** Taps per client; each add picks one of them, so most adds replace an existing binding. */
const TAPS_PER_CLIENT = 6;

interface TapState {
  /** Sequence number of the last acknowledged add (hostname s<seq>), if any. */
  acked: number | undefined;
  /** Sequence number of an add sent but not acknowledged when the daemon died. */
  inFlight: number | undefined;
}

describeLab('hardening: SIGKILL during a stream of binding-add', () => {
  let lab: Lab;
  let d: Onlinkd;
  const state = new Map<string, TapState>();
  let seq = 0;

  beforeAll(async () => {
    lab = await Lab.create({});
    d = new Onlinkd(lab);
    await d.start();
  });

  afterAll(async () => {
    await d?.stop();
    await lab?.destroy();
  });

  function args(tap: string, s: number): Record<string, unknown> {
    return {
      tap,
      mac: `aa:00:00:00:${hex2(s >> 8)}:${hex2(s)}`,
      ip: `198.51.100.${(s % 250) + 2}`,
      subnet: '198.51.100.0/24',
      gateway: '198.51.100.1',
      subnet6: `2001:db8:${(s % 0xfff).toString(16)}::/64`,
      hostname: `s${s}`,
      dns: ['198.51.100.53'],
      domain: 'example.org',
    };
  }

  /** One client: adds until the daemon dies; records what was acknowledged. */
  async function client(c: number, stats: { acked: number; failed: number }): Promise<void> {
    for (let n = 0; ; n++) {
      const tap = `cr${c}-${n % TAPS_PER_CLIENT}`;
      const s = ++seq;
      const st = state.get(tap) ?? { acked: undefined, inFlight: undefined };
      state.set(tap, st);
      st.inFlight = s;
      try {
        const r = await request(d.socketPath, 'binding-add', args(tap, s), { timeoutMs: 5_000 });
        if (r.result !== 0) throw new Error(`binding-add ${tap} failed: ${r.text}`);
        st.acked = s;
        st.inFlight = undefined;
        stats.acked++;
      } catch (e) {
        if (!(e instanceof ControlClientError)) throw e;
        // The daemon died: this add may or may not have reached the disk.
        stats.failed++;
        return;
      }
    }
  }

  function hostnameSeq(text: string, tap: string): number {
    const r = parseBindingFile(tap, text);
    if (!r.ok) throw new Error(`${tap} does not parse after SIGKILL: ${r.error.message}\n${text}`);
    return Number(r.binding.hostname?.slice(1));
  }

  it(`${ROUNDS} rounds: every acknowledged add survives SIGKILL, every file parses, no temp file remains`, async () => {
    const totals = { acked: 0, failed: 0, inFlightFound: 0, inFlightAbsent: 0, tempFilesAfterKill: 0, tempFilesAfterRestart: 0 };
    for (let round = 0; round < ROUNDS; round++) {
      const stats = { acked: 0, failed: 0 };
      const clients = Array.from({ length: CLIENTS }, (_, c) => client(c, stats));
      await sleep(100 + Math.floor(Math.random() * 400));
      const pid = d.process.pid;
      d.process.signal('SIGKILL');
      expect(await d.process.waitExit(5_000), 'daemon gone after SIGKILL').not.toBeNull();
      await Promise.all(clients);
      totals.acked += stats.acked;
      totals.failed += stats.failed;
      expect(stats.acked, `round ${round}: some adds acknowledged before the kill (pid ${pid})`).toBeGreaterThan(0);

      // What the disk holds after the crash, before any restart.
      const names = readdirSync(d.datapath);
      totals.tempFilesAfterKill += names.filter((n) => n.startsWith('.') && n.includes('.tmp-')).length;
      const files = new Map(names.filter((n) => !n.startsWith('.')).map((n) => [n, readFileSync(join(d.datapath, n), 'utf8')]));
      for (const [tap, st] of state) {
        const text = files.get(tap);
        if (st.acked === undefined) {
          // Never acknowledged: absent, or whole with the in-flight content.
          if (text !== undefined) expect({ tap, seq: hostnameSeq(text, tap) }).toEqual({ tap, seq: st.inFlight });
          continue;
        }
        expect(text, `${tap}: acknowledged add s${st.acked} missing`).toBeDefined();
        const got = hostnameSeq(text!, tap);
        const allowed = [st.acked, ...(st.inFlight !== undefined ? [st.inFlight] : [])];
        expect(allowed, `${tap}: file holds s${got}, acknowledged s${st.acked}, in flight s${st.inFlight}`).toContain(got);
        if (st.inFlight !== undefined) {
          if (got === st.inFlight) totals.inFlightFound++;
          else totals.inFlightAbsent++;
          // From now on the disk is the truth for this tap.
          st.acked = got;
          st.inFlight = undefined;
        }
      }
      for (const st of state.values()) {
        if (st.acked === undefined && st.inFlight !== undefined) st.inFlight = undefined;
      }
      for (const name of files.keys()) expect(state.has(name), `unexpected file ${name}`).toBe(true);

      // Restart: the stale socket is replaced, every binding loads, stale temp files are cleaned.
      await d.start();
      const list = await request(d.socketPath, 'binding-list', {}, { timeoutMs: 5_000 });
      const listed = new Map(
        ((list.arguments as { bindings: Array<{ tap: string; binding?: { hostname?: string } }> }).bindings).map((b) => [b.tap, b.binding?.hostname]),
      );
      for (const [tap, st] of state) {
        if (st.acked !== undefined) expect({ tap, hostname: listed.get(tap) }).toEqual({ tap, hostname: `s${st.acked}` });
      }
      totals.tempFilesAfterRestart += readdirSync(d.datapath).filter((n) => n.startsWith('.') && n.includes('.tmp-')).length;
      expect(d.logs().filter((l) => l.msg === 'binding file rejected' || /rejected/.test(l.msg))).toEqual([]);
    }
    console.log(`HARDENING_CRASH ${JSON.stringify({ rounds: ROUNDS, clients: CLIENTS, taps: state.size, ...totals })}`);
    expect(totals.tempFilesAfterRestart).toBe(0);
  }, 300_000);
});
