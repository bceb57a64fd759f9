#!/usr/bin/python3
"""Minimal IPv6 responder for end-to-end tests of the lab's client runners.

Stands in for a router on one interface so that rdisc6, ndisc6 and
`dhclient -6 -S` can be exercised before onlinkd answers them itself:
  - Router Solicitation  -> Router Advertisement (prefix, RDNSS, DNSSL, MTU)
  - Neighbor Solicitation for one of --own -> Neighbor Advertisement,
    sent from the target itself (see client-quirks.md: ndisc6 ignores an NA
    for a global target whose source is link-local)
  - DHCPv6 Information-Request -> Reply (DNS servers, domain search list)
Prints "READY" on stdout once its socket is open, one line per answer, and
exits after --timeout seconds.  Only for test namespaces: uses 2001:db8::/32.
"""
import argparse
import select
import sys
import time

from scapy.all import conf, Ether, IPv6  # noqa: E402
from scapy.layers.inet6 import (ICMPv6ND_RS, ICMPv6ND_RA, ICMPv6ND_NS, ICMPv6ND_NA,
                                ICMPv6NDOptPrefixInfo, ICMPv6NDOptSrcLLAddr,
                                ICMPv6NDOptDstLLAddr, ICMPv6NDOptMTU,
                                ICMPv6NDOptRDNSS, ICMPv6NDOptDNSSL, UDP)
from scapy.layers.dhcp6 import (DHCP6_InfoRequest, DHCP6_Reply, DHCP6OptClientId,
                                DHCP6OptServerId, DHCP6OptDNSServers,
                                DHCP6OptDNSDomains, DUID_LL)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument('--iface', required=True)
    ap.add_argument('--mac', default='fe:00:00:00:00:01')
    ap.add_argument('--ll', default='fe80::1')
    ap.add_argument('--prefix', default='2001:db8:10::')
    ap.add_argument('--own', action='append', default=[],
                    help='addresses to answer NS for (the router link-local always)')
    ap.add_argument('--dns', action='append', default=[])
    ap.add_argument('--domain', action='append', default=[])
    ap.add_argument('--timeout', type=float, default=10.0)
    a = ap.parse_args()
    own = set([a.ll] + a.own)
    dns = a.dns or ['2001:db8::53']
    domains = a.domain or ['example.test']

    sock = conf.L2socket(iface=a.iface, filter='icmp6 or (udp and port 547)')
    print('READY', flush=True)
    deadline = time.monotonic() + a.timeout
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            break
        ready, _, _ = select.select([sock], [], [], min(left, 0.5))
        if not ready:
            continue
        pkt = sock.recv()
        if pkt is None or Ether not in pkt or IPv6 not in pkt:
            continue
        if pkt[Ether].src.lower() == a.mac.lower():
            continue  # our own transmission looped back by the packet socket
        ip = pkt[IPv6]
        if ICMPv6ND_RS in pkt:
            ra = (Ether(src=a.mac, dst='33:33:00:00:00:01') /
                  IPv6(src=a.ll, dst='ff02::1', hlim=255) /
                  ICMPv6ND_RA(chlim=64, M=0, O=1, routerlifetime=1800) /
                  ICMPv6NDOptSrcLLAddr(lladdr=a.mac) /
                  ICMPv6NDOptMTU(mtu=1500) /
                  ICMPv6NDOptPrefixInfo(prefix=a.prefix, prefixlen=64, L=1, A=1,
                                        validlifetime=86400, preferredlifetime=14400) /
                  ICMPv6NDOptRDNSS(dns=dns, lifetime=600) /
                  ICMPv6NDOptDNSSL(searchlist=domains, lifetime=600))
            sock.send(ra)
            print(f'RA {ip.src}', flush=True)
        elif ICMPv6ND_NS in pkt and pkt[ICMPv6ND_NS].tgt in own:
            tgt = pkt[ICMPv6ND_NS].tgt
            dst_ip = ip.src if ip.src != '::' else 'ff02::1'
            dst_mac = pkt[Ether].src if ip.src != '::' else '33:33:00:00:00:01'
            na = (Ether(src=a.mac, dst=dst_mac) /
                  IPv6(src=tgt, dst=dst_ip, hlim=255) /
                  ICMPv6ND_NA(tgt=tgt, R=1, S=int(ip.src != '::'), O=1) /
                  ICMPv6NDOptDstLLAddr(lladdr=a.mac))
            sock.send(na)
            print(f'NA {tgt} -> {ip.src}', flush=True)
        elif DHCP6_InfoRequest in pkt:
            req = pkt[DHCP6_InfoRequest]
            reply = (Ether(src=a.mac, dst=pkt[Ether].src) /
                     IPv6(src=a.ll, dst=ip.src) /
                     UDP(sport=547, dport=546) /
                     DHCP6_Reply(trid=req.trid) /
                     DHCP6OptServerId(duid=DUID_LL(lladdr=a.mac)))
            if DHCP6OptClientId in pkt:
                reply = reply / DHCP6OptClientId(duid=pkt[DHCP6OptClientId].duid)
            reply = reply / DHCP6OptDNSServers(dnsservers=dns) / DHCP6OptDNSDomains(dnsdomains=domains)
            sock.send(reply)
            print(f'REPLY {ip.src}', flush=True)
    sock.close()
    return 0


if __name__ == '__main__':
    sys.exit(main())
