/**
 * Golden IPv6 frames, built independently with scapy 2.5 (python3-scapy,
 * /usr/bin/python3) and annotated field by field. The script:
 *
 *   SM='fe:00:00:00:00:01'; VM='aa:00:00:00:00:10'
 *   RLL='fe80::fc00:ff:fe00:1'; VLL='fe80::a800:ff:fe00:10'
 *   RS  = Ether(src=VM,dst='33:33:00:00:00:02')/IPv6(src=VLL,dst='ff02::2',hlim=255)
 *         /ICMPv6ND_RS()/ICMPv6NDOptSrcLLAddr(lladdr=VM)
 *   RA  = Ether(src=SM,dst=VM)/IPv6(src=RLL,dst=VLL,hlim=255)
 *         /ICMPv6ND_RA(chlim=64,M=0,O=1,H=0,prf=0,P=0,routerlifetime=900,reachabletime=0,retranstimer=0)
 *         /ICMPv6NDOptSrcLLAddr(lladdr=SM)/ICMPv6NDOptMTU(mtu=1500)
 *         /ICMPv6NDOptPrefixInfo(prefixlen=64,L=1,A=1,R=0,validlifetime=86400,preferredlifetime=14400,prefix='2001:db8:10::')
 *         /ICMPv6NDOptRDNSS(lifetime=900,dns=['2001:db8::53'])/ICMPv6NDOptDNSSL(lifetime=900,searchlist=['example.test'])
 *   NS  = Ether(src=VM,dst='33:33:ff:00:00:01')/IPv6(src=VLL,dst='ff02::1:ff00:1',hlim=255)
 *         /ICMPv6ND_NS(tgt='2001:db8:10::1')/ICMPv6NDOptSrcLLAddr(lladdr=VM)
 *   NA  = Ether(src=SM,dst=VM)/IPv6(src='2001:db8:10::1',dst=VLL,hlim=255)
 *         /ICMPv6ND_NA(R=1,S=1,O=1,tgt='2001:db8:10::1')/ICMPv6NDOptDstLLAddr(lladdr=SM)
 *   IR  = Ether(src=VM,dst='33:33:00:01:00:02')/IPv6(src=VLL,dst='ff02::1:2',hlim=1)/UDP(sport=546,dport=547)
 *         /DHCP6_InfoRequest(trid=0x123456)/DHCP6OptClientId(duid=DUID_LLT(lladdr=VM,timeval=0x2a2a2a2a))
 *         /DHCP6OptOptReq(reqopts=[23,24,32])/DHCP6OptElapsedTime(elapsedtime=0)
 *   REPLY = Ether(src=SM,dst=VM)/IPv6(src=RLL,dst=VLL,hlim=64)/UDP(sport=547,dport=546)/DHCP6_Reply(trid=0x123456)
 *         /DHCP6OptClientId(duid=DUID_LLT(lladdr=VM,timeval=0x2a2a2a2a))/DHCP6OptServerId(duid=DUID_LL(lladdr='02:00:00:00:00:01'))
 *         /DHCP6OptDNSServers(dnsservers=['2001:db8::53'])/DHCP6OptDNSDomains(dnsdomains=['example.test'])
 *         /DHCP6OptInfoRefreshTime(reftime=86400)
 */
import { hex } from './helpers.js';

export const SERVER_MAC = 'fe:00:00:00:00:01';
export const VM_MAC = 'aa:00:00:00:00:10';
export const ROUTER_LL = 'fe80::fc00:ff:fe00:1';
export const VM_LL = 'fe80::a800:ff:fe00:10';

export const RS_FRAME = hex`
  33 33 00 00 00 02                                  # eth dst: all-routers multicast MAC
  aa 00 00 00 00 10                                  # eth src: VM
  86 dd                                              # ethertype IPv6
  60 00 00 00                                        # version 6, traffic class 0, flow label 0
  00 10                                              # payload length 16
  3a                                                 # next header 58 (ICMPv6)
  ff                                                 # hop limit 255
  fe 80 00 00 00 00 00 00 a8 00 00 ff fe 00 00 10    # src fe80::a800:ff:fe00:10
  ff 02 00 00 00 00 00 00 00 00 00 00 00 00 00 02    # dst ff02::2
  85 00                                              # ICMPv6 type 133 (RS), code 0
  2b 0d                                              # checksum
  00 00 00 00                                        # reserved
  01 01 aa 00 00 00 00 10                            # option 1 (SLLAO), length 1, aa:00:00:00:00:10
`;

export const RA_FRAME = hex`
  aa 00 00 00 00 10  fe 00 00 00 00 01  86 dd        # eth: to VM, from INDEV, IPv6
  60 00 00 00  00 70  3a  ff                         # v6, payload 112, ICMPv6, hop limit 255
  fe 80 00 00 00 00 00 00 fc 00 00 ff fe 00 00 01    # src fe80::fc00:ff:fe00:1 (router LL)
  fe 80 00 00 00 00 00 00 a8 00 00 ff fe 00 00 10    # dst fe80::a800:ff:fe00:10
  86 00  ec ae                                       # type 134 (RA), code 0, checksum
  40                                                 # cur hop limit 64
  40                                                 # M=0 O=1 H=0 Prf=00 (medium) P=0
  03 84                                              # router lifetime 900
  00 00 00 00  00 00 00 00                           # reachable time 0, retrans timer 0
  01 01 fe 00 00 00 00 01                            # SLLAO fe:00:00:00:00:01
  05 01 00 00 00 00 05 dc                            # MTU option: reserved, 1500
  03 04 40 c0                                        # PIO: length 4, /64, L=1 A=1 R=0
  00 01 51 80  00 00 38 40  00 00 00 00              # valid 86400, preferred 14400, reserved2
  20 01 0d b8 00 10 00 00 00 00 00 00 00 00 00 00    # prefix 2001:db8:10::
  19 03 00 00  00 00 03 84                           # RDNSS: length 3, reserved, lifetime 900
  20 01 0d b8 00 00 00 00 00 00 00 00 00 00 00 53    # 2001:db8::53
  1f 03 00 00  00 00 03 84                           # DNSSL: length 3, reserved, lifetime 900
  07 65 78 61 6d 70 6c 65 04 74 65 73 74 00  00 00   # "example" "test" root, 2 octets of zero padding
`;

export const NS_FRAME = hex`
  33 33 ff 00 00 01  aa 00 00 00 00 10  86 dd        # eth: solicited-node MAC of ::1, from VM
  60 00 00 00  00 20  3a  ff                         # payload 32, ICMPv6, hop limit 255
  fe 80 00 00 00 00 00 00 a8 00 00 ff fe 00 00 10    # src VM link-local
  ff 02 00 00 00 00 00 00 00 00 00 01 ff 00 00 01    # dst ff02::1:ff00:1
  87 00  fc 31                                       # type 135 (NS), code 0, checksum
  00 00 00 00                                        # reserved
  20 01 0d b8 00 10 00 00 00 00 00 00 00 00 00 01    # target 2001:db8:10::1
  01 01 aa 00 00 00 00 10                            # SLLAO aa:00:00:00:00:10
`;

export const NA_FRAME = hex`
  aa 00 00 00 00 10  fe 00 00 00 00 01  86 dd        # eth: to VM, from INDEV
  60 00 00 00  00 20  3a  ff                         # payload 32, ICMPv6, hop limit 255
  20 01 0d b8 00 10 00 00 00 00 00 00 00 00 00 01    # src = the target 2001:db8:10::1
  fe 80 00 00 00 00 00 00 a8 00 00 ff fe 00 00 10    # dst VM link-local
  88 00  96 7b                                       # type 136 (NA), code 0, checksum
  e0 00 00 00                                        # R=1 S=1 O=1, reserved
  20 01 0d b8 00 10 00 00 00 00 00 00 00 00 00 01    # target 2001:db8:10::1
  02 01 fe 00 00 00 00 01                            # TLLAO fe:00:00:00:00:01
`;

export const IR_FRAME = hex`
  33 33 00 01 00 02  aa 00 00 00 00 10  86 dd        # eth: MAC of ff02::1:2, from VM
  60 00 00 00  00 2e  11  01                         # payload 46, UDP, hop limit 1
  fe 80 00 00 00 00 00 00 a8 00 00 ff fe 00 00 10    # src VM link-local
  ff 02 00 00 00 00 00 00 00 00 00 00 00 01 00 02    # dst ff02::1:2
  02 22  02 23  00 2e  18 73                         # UDP 546 -> 547, length 46, checksum
  0b  12 34 56                                       # Information-Request, transaction id 0x123456
  00 01 00 0e                                        # client id, 14 octets:
  00 01 00 01 2a 2a 2a 2a aa 00 00 00 00 10          #   DUID-LLT, Ethernet, time 0x2a2a2a2a, VM MAC
  00 06 00 06  00 17 00 18 00 20                     # ORO: 23, 24, 32
  00 08 00 02  00 00                                 # elapsed time 0
`;

export const REPLY_FRAME = hex`
  aa 00 00 00 00 10  fe 00 00 00 00 01  86 dd        # eth: to VM, from INDEV
  60 00 00 00  00 5a  11  40                         # payload 90, UDP, hop limit 64
  fe 80 00 00 00 00 00 00 fc 00 00 ff fe 00 00 01    # src router LL
  fe 80 00 00 00 00 00 00 a8 00 00 ff fe 00 00 10    # dst VM link-local
  02 23  02 22  00 5a  68 6f                         # UDP 547 -> 546, length 90, checksum
  07  12 34 56                                       # Reply, same transaction id
  00 01 00 0e  00 01 00 01 2a 2a 2a 2a aa 00 00 00 00 10   # client id echoed
  00 02 00 0a  00 03 00 01 02 00 00 00 00 01         # server id: DUID-LL, Ethernet, 02:00:00:00:00:01
  00 17 00 10  20 01 0d b8 00 00 00 00 00 00 00 00 00 00 00 53   # DNS servers: 2001:db8::53
  00 18 00 0e  07 65 78 61 6d 70 6c 65 04 74 65 73 74 00         # domain list: example.test
  00 20 00 04  00 01 51 80                           # information refresh time 86400
`;

/** The IPv6 packet inside an untagged Ethernet frame. */
export const ip = (frame: Uint8Array) => frame.subarray(14);
