/**
 * IPv6-only guests, captive portals, NTP and live option changes (issue 13,
 * items 3 and 4) with real clients:
 *  - dhcpcd configured with `option ipv6_only_preferred` asks for 108, is
 *    offered yiaddr 0.0.0.0 with V6ONLY_WAIT (RFC 8925 §3.3) and stops
 *    DHCPv4 for that long; the same dhcpcd without it is offered its address
 *    and no 108 (captured on the tap);
 *  - dhclient asking for `default-url` (114) gets CAPTIVE_PORTAL;
 *  - live: dhclient gets option 42; the binding file is rewritten and the
 *    next exchange of the same client shows the new value; then a
 *    binding-add changes it again and the next exchange shows that.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { dhclient, dhcpcdArgv, dhcpcdConf } from './clients.js';
import { Lab, describeLab, sleep, type Capture } from './lab.js';
import { Onlinkd, bindingText } from './onlinkd.js';
import { peekDhcp4, type Dhcp4Peek } from '../helpers/frame-peek.js';

const ASK = 'also request ntp-servers, default-url;';
const PORTAL = 'https://portal.example/capport';

function binding(n: number, extra: string): string {
  return bindingText({ mac: `aa:00:00:00:00:${n}`, ip: `203.0.113.${n}`, extra });
}

/** dhcpcd -T once on the VM: its stderr (logged with -d) once the OFFER was handled or the bound passed. */
async function dhcpcdOnce(lab: Lab, tap: string, extraConfig: string, until: RegExp): Promise<string> {
  const dir = lab.path(`dhcpcd-${tap}-${Date.now()}`);
  for (const sub of ['run', 'db']) mkdirSync(join(dir, sub), { recursive: true, mode: 0o755 });
  const conf = join(dir, 'dhcpcd.conf');
  writeFileSync(conf, dhcpcdConf({ extraConfig }));
  const hook = join(dir, 'hook.sh');
  writeFileSync(hook, '#!/bin/sh\nexit 0\n', { mode: 0o755 });
  const p = lab.spawn(tap, dhcpcdArgv(dir, conf, hook, 8, `vm-${tap}`), { cwd: dir });
  try {
    await p.waitForLine(until, { stream: 'stderr', timeoutMs: 12_000 }).catch(() => undefined);
    return p.stderrLines.join('\n');
  } finally {
    await p.kill(500);
  }
}

describeLab('IPv6-only, captive portal, NTP and live option changes with real clients', () => {
  let lab: Lab;
  let d: Onlinkd;
  let capture: Capture;

  beforeAll(async () => {
    lab = await Lab.create({
      vms: [
        { tap: 'tap60', mac: 'aa:00:00:00:00:60' }, // dhcpcd, IPV6_ONLY
        { tap: 'tap61', mac: 'aa:00:00:00:00:61' }, // dhclient, captive portal and live changes
      ],
    });
    d = new Onlinkd(lab);
    d.writeBinding('tap60', binding(60, 'IPV6_ONLY=1800'));
    d.writeBinding('tap61', binding(61, `OPTION_42=203.0.113.5\nCAPTIVE_PORTAL=${PORTAL}`));
    await d.start();
    capture = await lab.tcpdump('hv', 'tap60', 'udp port 67 or udp port 68', lab.path('tap60.pcap'));
  });

  afterAll(async () => {
    await capture?.stop();
    await d?.stop();
    await lab?.destroy();
  });

  const offers = (): Dhcp4Peek[] => capture.frames().map(peekDhcp4).filter((m): m is Dhcp4Peek => !!m && m.op === 2 && m.messageType === 2);

  it('dhcpcd asking for ipv6_only_preferred is offered 0.0.0.0 with V6ONLY_WAIT and stops DHCPv4; without, it is offered its address', async () => {
    const log = await dhcpcdOnce(lab, 'tap60', 'option ipv6_only_preferred', /IPv6-Only Preferred received|TEST|timed out/);
    expect(log).toMatch(/IPv6-Only Preferred received \(1800 seconds\)/);
    await sleep(300);
    const v6only = offers();
    expect(v6only.length).toBeGreaterThan(0);
    expect(v6only[0]!.yiaddr).toBe('0.0.0.0');
    expect(Buffer.from(v6only[0]!.options.get(108) ?? []).toString('hex')).toBe('00000708');

    const plainLog = await dhcpcdOnce(lab, 'tap60', '', /TEST|offered|timed out/);
    expect(plainLog).not.toMatch(/IPv6-Only Preferred/);
    await sleep(300);
    const all = offers();
    const plain = all[all.length - 1]!;
    expect(all.length).toBeGreaterThan(v6only.length);
    expect(plain.yiaddr).toBe('203.0.113.60');
    expect(plain.options.has(108)).toBe(false);
  });

  it('dhclient asking for default-url (114) gets the captive portal URI', async () => {
    const lease = await dhclient(lab, 'tap61', { extraConfig: ASK });
    expect(lease?.env.new_default_url).toBe(PORTAL);
  });

  it('live: a rewritten binding file, then a binding-add, show in the next exchange of the same client', async () => {
    expect((await dhclient(lab, 'tap61', { extraConfig: ASK }))?.env.new_ntp_servers).toBe('203.0.113.5');

    d.writeBinding('tap61', binding(61, `OPTION_42=203.0.113.6,203.0.113.7\nCAPTIVE_PORTAL=${PORTAL}`));
    // The store picks the file up by inotify; bounded wait for the next reply to carry it.
    let env: Record<string, string> | undefined;
    for (let i = 0; i < 10; i++) {
      env = (await dhclient(lab, 'tap61', { extraConfig: ASK }))?.env;
      if (env?.new_ntp_servers !== '203.0.113.5') break;
      await sleep(200);
    }
    expect(env?.new_ntp_servers).toBe('203.0.113.6 203.0.113.7');

    const r = await d.ctl(['bind', 'tap61', '--mac', 'aa:00:00:00:00:61', '--ip', '203.0.113.61', '--subnet', '203.0.113.0/24',
      '--gateway', '203.0.113.1', '--option', '42=198.51.100.42', '--captive-portal', 'urn:ietf:params:capport:unrestricted']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const next = (await dhclient(lab, 'tap61', { extraConfig: ASK }))?.env;
    expect(next?.new_ntp_servers).toBe('198.51.100.42');
    expect(next?.new_default_url).toBe('urn:ietf:params:capport:unrestricted');
  });
});
