#!/usr/bin/env python3
"""Send one crafted DHCPv4 request from a VM namespace and print the reply.

For what real clients cannot be made to send on demand (a Windows-like
DISCOVER, a wrong source MAC, a unicast renewal to the server identifier).
Input: one JSON object as argv[1]:
  iface, src_mac, chaddr, xid, type (1 discover, 3 request, 8 inform),
  options: [[code, hex], ...], flags, ciaddr, ip_src, ip_dst, eth_dst, timeout
Output: one JSON line: {"reply": null} or the reply's addressing and options (hex).
"""
import json
import sys

from scapy.all import BOOTP, DHCP, IP, UDP, Ether, conf, get_if_hwaddr, sniff, sendp  # noqa: E402
from scapy.arch.linux import L2ListenSocket  # noqa: F401,E402

conf.verb = 0
req = json.loads(sys.argv[1])
iface = req.get("iface", "eth0")
src_mac = req.get("src_mac") or get_if_hwaddr(iface)
chaddr = req.get("chaddr") or src_mac
xid = int(req.get("xid", 0x1D2C3B4A))
options = [("message-type", int(req.get("type", 1)))]
for code, hexval in req.get("options", []):
    options.append((int(code), bytes.fromhex(hexval)))
options.append("end")

pkt = (
    Ether(src=src_mac, dst=req.get("eth_dst", "ff:ff:ff:ff:ff:ff"))
    / IP(src=req.get("ip_src", "0.0.0.0"), dst=req.get("ip_dst", "255.255.255.255"))
    / UDP(sport=68, dport=67)
    / BOOTP(
        op=1,
        chaddr=bytes.fromhex(chaddr.replace(":", "")) + b"\0" * 10,
        xid=xid,
        flags=int(req.get("flags", 0)),
        ciaddr=req.get("ciaddr", "0.0.0.0"),
    )
    / DHCP(options=options)
)

# Open the capture before sending so a fast reply is not missed.
sock = conf.L2listen(iface=iface, filter="udp and src port 67 and dst port 68")
sendp(pkt, iface=iface)
replies = sniff(
    opened_socket=sock,
    timeout=float(req.get("timeout", 3)),
    count=1,
    lfilter=lambda p: BOOTP in p and p[BOOTP].xid == xid and p[BOOTP].op == 2,
)
sock.close()
if not replies:
    print(json.dumps({"reply": None}))
    sys.exit(0)
r = replies[0]
opts = {}
raw = bytes(r[BOOTP].options) if hasattr(r[BOOTP], "options") else b""
# Parse the raw option area ourselves so values stay byte-exact (hex).
body = bytes(r[BOOTP])[240:]
i = 0
while i < len(body):
    code = body[i]
    if code == 0:
        i += 1
        continue
    if code == 255 or i + 1 >= len(body):
        break
    length = body[i + 1]
    value = body[i + 2 : i + 2 + length]
    opts[str(code)] = opts.get(str(code), "") + value.hex()
    i += 2 + length
print(
    json.dumps(
        {
            "reply": {
                "eth_src": r[Ether].src,
                "eth_dst": r[Ether].dst,
                "ip_src": r[IP].src,
                "ip_dst": r[IP].dst,
                "yiaddr": r[BOOTP].yiaddr,
                "ciaddr": r[BOOTP].ciaddr,
                "siaddr": r[BOOTP].siaddr,
                "file": bytes(r[BOOTP].file).split(b"\0", 1)[0].decode("latin-1"),
                "flags": int(r[BOOTP].flags),
                "udp_len": int(r[UDP].len),
                "options": opts,
            }
        }
    )
)
