/**
 * nfdhcpd drop-in (issue 16, item 8), with real clients: with no domain
 * configured, a binding's HOSTNAME=vm16.prod.example.org gives dhclient
 * `prod.example.org` as option 15 and dhclient -6 the same domain list.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { dhclient, dhclient6Inform } from './clients.js';
import { Lab, describeLab } from './lab.js';
import { Onlinkd } from './onlinkd.js';

describeLab("HOSTNAME's domain when none is configured (nfdhcpd)", () => {
  let lab: Lab;
  let d: Onlinkd;

  beforeAll(async () => {
    lab = await Lab.create({ vms: [{ tap: 'tap16', mac: 'aa:00:00:00:00:16' }] });
    d = new Onlinkd(lab);
    d.writeBinding('tap16', 'MAC=aa:00:00:00:00:16\nIP=203.0.113.16\nSUBNET=203.0.113.0/24\nGATEWAY=203.0.113.1\nSUBNET6=2001:db8:16::/64\nHOSTNAME=vm16.prod.example.org\n');
    await d.start('[ipv6]\nnameservers = 2001:db8::53\n');
  });

  afterAll(async () => {
    await d?.stop();
    await lab?.destroy();
  });

  it('DHCPv4 option 15 (dhclient)', async () => {
    const lease = await dhclient(lab, 'tap16');
    expect(lease).toMatchObject({ ip: '203.0.113.16', hostName: 'vm16.prod.example.org', domainName: 'prod.example.org' });
  });

  it('DHCPv6 domain list (dhclient -6)', async () => {
    const info = await dhclient6Inform(lab, 'tap16');
    expect(info?.domainSearch.map((n) => n.replace(/\.$/, ''))).toEqual(['prod.example.org']);
  });
});
