#!/usr/bin/python3
"""Send one DHCPDISCOVER shaped like Windows 10's (for test/fixtures/windows10-discover.pcap).

No Windows client runs in the lab, so this crafts what Windows 10 (21H2/22H2,
"MSFT 5.0" DHCP client) sends on a fresh interface, after published captures:
IPv4 TTL 128, UDP 68 -> 67, BOOTP flags 0 (unicast replies welcome), secs 0,
options in Windows' order 53, 61, 12, 60, 55, then end, and the message
padded to 300 bytes as Windows does. No option 50: the interface has no
previous lease. Run inside a lab VM namespace only.
"""
import argparse
import random
import sys

from scapy.all import Ether, IP, UDP, BOOTP, DHCP, sendp  # noqa: E402

PRL = [1, 3, 6, 15, 31, 33, 43, 44, 46, 47, 119, 121, 249, 252]


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument('--iface', default='eth0')
    ap.add_argument('--mac', required=True)
    ap.add_argument('--hostname', default='DESKTOP-OLK10')
    ap.add_argument('--xid', type=lambda s: int(s, 0), default=None)
    a = ap.parse_args()
    mac = bytes.fromhex(a.mac.replace(':', ''))
    xid = a.xid if a.xid is not None else random.getrandbits(32)
    dhcp = DHCP(options=[
        ('message-type', 'discover'),
        ('client_id', b'\x01' + mac),
        ('hostname', a.hostname.encode()),
        ('vendor_class_id', b'MSFT 5.0'),
        ('param_req_list', PRL),
        'end',
    ])
    bootp = BOOTP(op=1, htype=1, hlen=6, hops=0, xid=xid, secs=0, flags=0,
                  ciaddr='0.0.0.0', yiaddr='0.0.0.0', siaddr='0.0.0.0', giaddr='0.0.0.0',
                  chaddr=mac + b'\x00' * 10) / dhcp
    payload = bytes(bootp)
    if len(payload) < 300:
        payload += b'\x00' * (300 - len(payload))
    frame = (Ether(src=a.mac, dst='ff:ff:ff:ff:ff:ff') /
             IP(src='0.0.0.0', dst='255.255.255.255', ttl=128, id=random.getrandbits(16)) /
             UDP(sport=68, dport=67) / payload)
    sendp(frame, iface=a.iface, verbose=False)
    print(f'sent DISCOVER xid=0x{xid:08x} len={len(bytes(frame))}', flush=True)
    return 0


if __name__ == '__main__':
    sys.exit(main())
