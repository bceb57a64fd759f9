/**
 * DHCPv4 responder (RFC 2131, 2132, 3442, 6842): a pure function from a
 * decoded request, the tap's binding and the settings to a decision. No
 * socket, file or clock: the caller encodes and sends.
 *
 * onlinkd is authoritative for exactly one address per tap, so there is no
 * lease table: every DISCOVER gets the binding's address, every REQUEST is
 * checked against it. The option list of an OFFER or ACK is built (and
 * kept) by dhcp4-config-options.ts.
 */
import type { Binding } from '../bindings/binding.js';
import { BROADCAST_MAC, IPV4_ANY, IPV4_BROADCAST, numberToIpv4 } from '../wire/addr.js';
import { DHCP4_BROADCAST_FLAG, Dhcp4MessageType, Dhcp4Option, type Dhcp4Message } from '../wire/dhcp4-types.js';
import { clientId, maxMessageSize, messageType, requestedIp, serverId } from '../wire/dhcp4.js';
import { encodeIpv4List, encodeString } from '../wire/dhcp4-options.js';
import { bindingAddresses } from './binding-addresses.js';
import { configOptions, messageTypeValue, type Dhcp4Settings } from './dhcp4-config-options.js';
import { drop, requestDrop, type Drop } from './drop.js';

export { classlessRoutes, isWindowsClient, type Dhcp4Settings } from './dhcp4-config-options.js';

/** Where a reply goes (RFC 2131 §4.1), resolved to link and network addresses. */
export interface Dhcp4Reply {
  type: Dhcp4MessageType.Offer | Dhcp4MessageType.Ack | Dhcp4MessageType.Nak;
  message: Dhcp4Message;
  srcIp: string;
  dstIp: string;
  dstMac: string;
  /** Largest IP datagram the client accepts (option 57, capped by the link MTU, never below 576). */
  maxLength: number;
}

export type Dhcp4Decision =
  | { kind: 'reply'; reply: Dhcp4Reply; request: Dhcp4MessageType }
  /** Nothing to send; `reason` names the drop counter. */
  | (Drop & { readonly request?: Dhcp4MessageType })
  /** The client gave up its address (RELEASE) or found it in use (DECLINE): logged and counted. */
  | { kind: 'release' | 'decline'; request: Dhcp4MessageType; address: string | undefined };

const MIN_MAX_MESSAGE_SIZE = 576; // RFC 2132 §9.10

/**
 * The server identifier (option 54) and reply source: an on-link address.
 * `server_ip` wins only when configured and `server_on_link` is off; with
 * neither it is the gateway, and on a network without gateway the first
 * host address of the subnet that is not the client's.
 */
export function serverIdentifier(binding: Binding, settings: Dhcp4Settings): string | undefined {
  if (settings.serverIp && !settings.serverOnLink) return settings.serverIp;
  if (binding.gateway) return binding.gateway;
  if (settings.serverIp) return settings.serverIp;
  const subnet = bindingAddresses(binding).subnet;
  if (!subnet || subnet.prefixLength > 30) return undefined;
  const net = subnet.network;
  const first = numberToIpv4(net + 1);
  return first === binding.ip ? numberToIpv4(net + 2) : first;
}

function baseReply(request: Dhcp4Message): Dhcp4Message {
  return {
    op: 2,
    htype: request.htype,
    hlen: request.hlen,
    hops: 0,
    xid: request.xid,
    secs: 0,
    flags: request.flags,
    ciaddr: IPV4_ANY,
    yiaddr: IPV4_ANY,
    siaddr: IPV4_ANY,
    giaddr: request.giaddr,
    chaddr: request.chaddr,
    sname: '',
    file: '',
    options: [],
  };
}

/** Largest IP datagram the reply may be (option 57 counts IP and UDP headers, RFC 2132 §9.10). */
function replyMaxLength(request: Dhcp4Message, binding: Binding): number {
  const linkMax = binding.mtu ?? 1500;
  const asked = maxMessageSize(request) ?? MIN_MAX_MESSAGE_SIZE;
  return Math.max(Math.min(linkMax, asked), MIN_MAX_MESSAGE_SIZE);
}

/**
 * RFC 2131 §4.1 reply addressing for a client on the link (giaddr is 0):
 * NAK → broadcast; ciaddr set → unicast to ciaddr; BROADCAST flag →
 * broadcast; otherwise unicast to yiaddr at chaddr.
 */
function address(request: Dhcp4Message, message: Dhcp4Message, type: Dhcp4MessageType, frameSrcMac: string) {
  if (type === Dhcp4MessageType.Nak) return { dstIp: IPV4_BROADCAST, dstMac: BROADCAST_MAC };
  if (request.ciaddr !== IPV4_ANY) return { dstIp: request.ciaddr, dstMac: frameSrcMac };
  // An INFORM without ciaddr has no address to unicast to either.
  if (request.flags & DHCP4_BROADCAST_FLAG || message.yiaddr === IPV4_ANY) return { dstIp: IPV4_BROADCAST, dstMac: BROADCAST_MAC };
  return { dstIp: message.yiaddr, dstMac: frameSrcMac };
}

/**
 * Decides the answer to one DHCP request from the guest on a bound tap.
 * `frameSrcMac` is the Ethernet source (already checked by the guard).
 */
export function respondDhcp4(
  request: Dhcp4Message,
  binding: Binding,
  settings: Dhcp4Settings,
  frameSrcMac: string,
): Dhcp4Decision {
  if (request.op !== 1) return drop('not-a-request');
  const type = messageType(request);
  if (type === undefined) return drop('no-message-type');
  if (request.giaddr !== IPV4_ANY) return requestDrop('relayed', type);
  if (!binding.ip || !binding.subnet) return requestDrop('no-ipv4-binding', type);
  const sid = serverIdentifier(binding, settings);
  if (!sid) return requestDrop('no-server-identifier', type);

  const reply = (replyType: Dhcp4Reply['type'], message: Dhcp4Message): Dhcp4Decision => ({
    kind: 'reply',
    request: type,
    reply: {
      type: replyType,
      message,
      srcIp: sid,
      ...address(request, message, replyType, frameSrcMac),
      maxLength: replyMaxLength(request, binding),
    },
  });

  const offerOrAck = (replyType: Dhcp4MessageType.Offer | Dhcp4MessageType.Ack): Dhcp4Decision => {
    const m = baseReply(request);
    m.yiaddr = binding.ip!;
    if (replyType === Dhcp4MessageType.Ack) m.ciaddr = request.ciaddr;
    m.options = configOptions(request, binding, settings, replyType, sid, true);
    return reply(replyType, m);
  };

  const nak = (why: string): Dhcp4Decision => {
    const m = baseReply(request);
    // A NAK goes to a client that may hold a wrong address: always broadcast.
    m.flags |= DHCP4_BROADCAST_FLAG;
    m.options = [
      [Dhcp4Option.MessageType, messageTypeValue(Dhcp4MessageType.Nak)],
      [Dhcp4Option.ServerIdentifier, encodeIpv4List([sid])],
      [Dhcp4Option.Message, encodeString(why)],
    ];
    const cid = clientId(request);
    if (cid) m.options.push([Dhcp4Option.ClientIdentifier, cid]);
    return reply(Dhcp4MessageType.Nak, m);
  };

  switch (type) {
    case Dhcp4MessageType.Discover:
      return offerOrAck(Dhcp4MessageType.Offer);

    case Dhcp4MessageType.Request: {
      const sidOpt = serverId(request);
      const req = requestedIp(request);
      if (sidOpt !== undefined) {
        // SELECTING (§4.3.2): the client picked a server; if not us, stay quiet.
        if (sidOpt !== sid) return requestDrop('other-server-selected', type);
        if (req === undefined) return requestDrop('malformed-request', type);
        return req === binding.ip ? offerOrAck(Dhcp4MessageType.Ack) : nak(`requested address ${req} is not this client's`);
      }
      if (req !== undefined && request.ciaddr === IPV4_ANY) {
        // INIT-REBOOT: verify the remembered address.
        return req === binding.ip ? offerOrAck(Dhcp4MessageType.Ack) : nak(`address ${req} is not valid on this link`);
      }
      if (request.ciaddr !== IPV4_ANY) {
        // RENEWING (unicast) or REBINDING (broadcast).
        return request.ciaddr === binding.ip
          ? offerOrAck(Dhcp4MessageType.Ack)
          : nak(`address ${request.ciaddr} is not this client's`);
      }
      return requestDrop('malformed-request', type);
    }

    case Dhcp4MessageType.Inform: {
      // §4.3.5: configuration only; no yiaddr, no lease time.
      const m = baseReply(request);
      m.ciaddr = request.ciaddr;
      m.options = configOptions(request, binding, settings, Dhcp4MessageType.Ack, sid, false);
      return reply(Dhcp4MessageType.Ack, m);
    }

    case Dhcp4MessageType.Release:
      return { kind: 'release', request: type, address: request.ciaddr };

    case Dhcp4MessageType.Decline:
      return { kind: 'decline', request: type, address: requestedIp(request) };

    default:
      return requestDrop('unexpected-message-type', type);
  }
}
