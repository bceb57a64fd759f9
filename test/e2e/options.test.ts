/**
 * Any DHCP option (issue 13, item 1) end to end: real clients ask for
 * options set by OPTION_<n>/OPTION6_<n> and [dhcp4-options] and get them;
 * an option not asked for is not sent unless `always:`; a binding's value
 * wins over the configuration's; a changed binding shows in the next reply;
 * a value over 255 octets arrives whole (RFC 3396); binding-add refuses a
 * code onlinkd sets itself.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { dhclient, dhclient6Inform, udhcpc } from './clients.js';
import { Lab, describeLab } from './lab.js';
import { Onlinkd, bindingText } from './onlinkd.js';

const CONFIG = `[dhcp4-options]
42 = 198.51.100.123
2 = -3600
[dhcp6-options]
31 = 2001:db8::999
`;

/** dhclient.conf lines: ask for ntp-servers, time-offset and private codes declared as strings. */
const DHCLIENT_ASK = [
  'option olk-private code 224 = string;',
  'option olk-forced code 225 = string;',
  'option olk-long code 226 = string;',
  'option olk-unasked code 227 = string;', // declared (dhclient would show it) but not requested
  'also request ntp-servers, time-offset, olk-private, olk-long;',
].join('\n');

const LONG = 'x'.repeat(300);

function binding(n: number, extra: string): string {
  return bindingText({
    mac: `aa:00:00:00:00:${n}`,
    ip: `203.0.113.${n}`,
    extra: [`SUBNET6=2001:db8:${n}::/64`, `GATEWAY6=2001:db8:${n}::1`, extra].join('\n'),
  });
}

describeLab('Any DHCP option with real clients', () => {
  let lab: Lab;
  let d: Onlinkd;

  beforeAll(async () => {
    lab = await Lab.create({
      vms: [
        { tap: 'tap50', mac: 'aa:00:00:00:00:50' }, // dhclient, binding options
        { tap: 'tap51', mac: 'aa:00:00:00:00:51' }, // udhcpc
        { tap: 'tap52', mac: 'aa:00:00:00:00:52' }, // configuration options only
      ],
    });
    d = new Onlinkd(lab);
    d.writeBinding('tap50', binding(50, [
      'OPTION_42=203.0.113.5,203.0.113.6',
      'OPTION_224=text:hello-224',
      'OPTION_225=always:text:forced-225',
      'OPTION_227=text:never-asked',
      `OPTION_226=text:${LONG}`,
      'OPTION6_31=2001:db8::123,2001:db8::124',
    ].join('\n')));
    d.writeBinding('tap51', binding(51, 'OPTION_42=203.0.113.7\nOPTION_224=hex:0a0b0c'));
    d.writeBinding('tap52', binding(52, ''));
    await d.start(CONFIG);
  });

  afterAll(async () => {
    await d?.stop();
    await lab?.destroy();
  });

  it('dhclient asking for ntp-servers and private codes gets the binding\'s values; always: is sent unasked; unasked is not sent', async () => {
    const lease = await dhclient(lab, 'tap50', { extraConfig: DHCLIENT_ASK });
    expect(lease).not.toBeNull();
    const env = lease!.env;
    expect(env.new_ntp_servers).toBe('203.0.113.5 203.0.113.6');
    expect(env.new_time_offset).toBe('-3600'); // from [dhcp4-options]
    expect(env.new_olk_private).toBe('hello-224');
    expect(env.new_olk_forced).toBe('forced-225'); // not requested: always:
    expect(env.new_olk_long).toBe(LONG); // 300 octets: split over two options and joined (RFC 3396)
    expect(env.new_olk_unasked).toBeUndefined(); // set in the binding, not asked for, not always:
  });

  it('the configuration\'s options reach a binding that sets none', async () => {
    const lease = await dhclient(lab, 'tap52', { extraConfig: DHCLIENT_ASK });
    expect(lease?.env.new_ntp_servers).toBe('198.51.100.123');
    expect(lease?.env.new_olk_private).toBeUndefined();
  });

  it('udhcpc -O ntpsrv -O 224 gets them', async () => {
    const lease = await udhcpc(lab, 'tap51', { requestOptions: ['ntpsrv', '224'] });
    expect(lease).not.toBeNull();
    expect(lease!.env.ntpsrv).toBe('203.0.113.7');
    expect(lease!.env.opt224?.toLowerCase()).toBe('0a0b0c');
  });

  it('dhclient -6 -S asking for sntp-servers gets the binding\'s, or the configuration\'s', async () => {
    const info = await dhclient6Inform(lab, 'tap50', { request: ['dhcp6.name-servers', 'dhcp6.sntp-servers'] });
    expect(info?.env.new_dhcp6_sntp_servers).toBe('2001:db8::123 2001:db8::124');
    const other = await dhclient6Inform(lab, 'tap52', { request: ['dhcp6.name-servers', 'dhcp6.sntp-servers'] });
    expect(other?.env.new_dhcp6_sntp_servers).toBe('2001:db8::999');
  });

  it('a changed option shows in the next reply; binding-add refuses a code onlinkd sets', async () => {
    const r = await d.ctl(['bind', 'tap52', '--mac', 'aa:00:00:00:00:52', '--ip', '203.0.113.52', '--subnet', '203.0.113.0/24',
      '--gateway', '203.0.113.1', '--option', '42=203.0.113.99']);
    expect(r.stdout + r.stderr).toContain('binding for tap52');
    expect((await dhclient(lab, 'tap52', { extraConfig: DHCLIENT_ASK }))?.env.new_ntp_servers).toBe('203.0.113.99');
    const show = await d.ctl(['show', 'tap52']);
    expect(show.stdout).toMatch(/^option 42 \(ntp-servers\): +203\.0\.113\.99$/m);
    const bad = await d.ctl(['bind', 'tap52', '--mac', 'aa:00:00:00:00:52', '--option', '3=203.0.113.1']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/option_3: option 3 \(routers\) is set by onlinkd: the router comes from GATEWAY/);
  });
});
