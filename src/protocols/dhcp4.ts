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
import { BROADCAST_MAC48, IPV4_ANY_VALUE as IPV4_ANY, IPV4_BROADCAST_VALUE, numberToIpv4, type Mac48 } from '../wire/addr.js';
import { DHCP4_BROADCAST_FLAG, Dhcp4MessageType, Dhcp4Option, type Dhcp4Message } from '../wire/dhcp4-types.js';
import { clientId, getOption, maxMessageSize, messageType, requestedIp, serverId } from '../wire/dhcp4.js';
import { encodeString, encodeU32 } from '../wire/dhcp4-options.js';
import { ipv4Value } from '../wire/writer.js';
import { bindingAddresses } from './binding-addresses.js';
import { configOptions, messageTypeValue, type Dhcp4Settings } from './dhcp4-config-options.js';
import { setBootFields } from './dhcp4-boot.js';
import { offersNoAddress } from './keyed-options.js';
import { drop, requestDrop, type Drop } from './drop.js';

export { classlessRoutes, isWindowsClient, type Dhcp4Settings } from './dhcp4-config-options.js';

/** Where a reply goes (RFC 2131 §4.1), resolved to link and network addresses (uint32, 48-bit MAC). */
export interface Dhcp4Reply {
  type: Dhcp4MessageType.Offer | Dhcp4MessageType.Ack | Dhcp4MessageType.Nak;
  message: Dhcp4Message;
  srcIp: number;
  dstIp: number;
  dstMac: Mac48;
  /** Largest IP datagram the client accepts (option 57, capped by the link MTU, never below 576). */
  maxLength: number;
}

export type Dhcp4Decision =
  | { kind: 'reply'; reply: Dhcp4Reply; request: Dhcp4MessageType }
  /** Nothing to send; `reason` names the drop counter. */
  | (Drop & { readonly request?: Dhcp4MessageType })
  /** The client gave up its address (RELEASE) or found it in use (DECLINE): logged and counted. */
  | { kind: 'release' | 'decline'; request: Dhcp4MessageType; address: number | undefined };

const MIN_MAX_MESSAGE_SIZE = 576; // RFC 2132 §9.10

/**
 * The server identifier (option 54) and reply source: an on-link address.
 * `server_ip` wins only when configured and `server_on_link` is off; with
 * neither it is the gateway, and on a network without gateway the first
 * host address of the subnet that is not the client's.
 */
export function serverIdentifier(binding: Binding, settings: Dhcp4Settings): number | undefined {
  const configured = configuredServerIp(settings);
  if (configured !== undefined && !settings.serverOnLink) return configured;
  const a = bindingAddresses(binding);
  if (a.gateway !== undefined) return a.gateway;
  if (configured !== undefined) return configured;
  const subnet = a.subnet;
  if (!subnet || subnet.prefixLength > 30) return undefined;
  const first = (subnet.network + 1) >>> 0;
  return first === a.ip ? (subnet.network + 2) >>> 0 : first;
}

/** [dhcp] server_ip as uint32, parsed once per (immutable, replaced on reload) settings object. */
const serverIps = new WeakMap<Dhcp4Settings, number | undefined>();
function configuredServerIp(settings: Dhcp4Settings): number | undefined {
  if (!settings.serverIp) return undefined;
  if (serverIps.has(settings)) return serverIps.get(settings);
  const v = ipv4Value(settings.serverIp);
  serverIps.set(settings, v >= 0 ? v : undefined);
  return v >= 0 ? v : undefined;
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
function address(request: Dhcp4Message, message: Dhcp4Message, type: Dhcp4MessageType, frameSrcMac: Mac48) {
  if (type === Dhcp4MessageType.Nak) return { dstIp: IPV4_BROADCAST_VALUE, dstMac: BROADCAST_MAC48 };
  if (request.ciaddr !== IPV4_ANY) return { dstIp: request.ciaddr, dstMac: frameSrcMac };
  // An INFORM without ciaddr has no address to unicast to either.
  if (request.flags & DHCP4_BROADCAST_FLAG || message.yiaddr === IPV4_ANY) return { dstIp: IPV4_BROADCAST_VALUE, dstMac: BROADCAST_MAC48 };
  return { dstIp: message.yiaddr, dstMac: frameSrcMac };
}

/**
 * Decides the answer to one DHCP request from the guest on a bound tap.
 * `frameSrcMac` is the Ethernet source (already checked by the guard).
 * Addresses are compared as numbers: the request's as decoded, the
 * binding's from its cached numeric forms (binding-addresses.ts).
 */
export function respondDhcp4(
  request: Dhcp4Message,
  binding: Binding,
  settings: Dhcp4Settings,
  frameSrcMac: Mac48,
): Dhcp4Decision {
  if (request.op !== 1) return drop('not-a-request');
  const type = messageType(request);
  if (type === undefined) return drop('no-message-type');
  if (request.giaddr !== IPV4_ANY) return requestDrop('relayed', type);
  const ip = bindingAddresses(binding).ip;
  if (ip === undefined || !binding.subnet) return requestDrop('no-ipv4-binding', type);
  const sid = serverIdentifier(binding, settings);
  if (sid === undefined) return requestDrop('no-server-identifier', type);

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
    // RFC 8925 §3.3.1: a client that asked for IPv6-only (108) is offered no address (keyed-options.ts).
    const noAddress = replyType === Dhcp4MessageType.Offer && offersNoAddress(getOption(request, Dhcp4Option.ParameterRequestList), binding, settings);
    m.yiaddr = noAddress ? IPV4_ANY : ip;
    if (replyType === Dhcp4MessageType.Ack) m.ciaddr = request.ciaddr;
    setBootFields(m, request, binding);
    m.options = configOptions(request, binding, settings, replyType, sid, true);
    return reply(replyType, m);
  };

  const nak = (why: string): Dhcp4Decision => {
    const m = baseReply(request);
    // A NAK goes to a client that may hold a wrong address: always broadcast.
    m.flags |= DHCP4_BROADCAST_FLAG;
    m.options = [
      [Dhcp4Option.MessageType, messageTypeValue(Dhcp4MessageType.Nak)],
      [Dhcp4Option.ServerIdentifier, encodeU32(sid)], // an IPv4 address is its uint32, big-endian
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
        return req === ip ? offerOrAck(Dhcp4MessageType.Ack) : nak(`requested address ${numberToIpv4(req)} is not this client's`);
      }
      if (req !== undefined && request.ciaddr === IPV4_ANY) {
        // INIT-REBOOT: verify the remembered address.
        return req === ip ? offerOrAck(Dhcp4MessageType.Ack) : nak(`address ${numberToIpv4(req)} is not valid on this link`);
      }
      if (request.ciaddr !== IPV4_ANY) {
        // RENEWING (unicast) or REBINDING (broadcast).
        return request.ciaddr === ip
          ? offerOrAck(Dhcp4MessageType.Ack)
          : nak(`address ${numberToIpv4(request.ciaddr)} is not this client's`);
      }
      return requestDrop('malformed-request', type);
    }

    case Dhcp4MessageType.Inform: {
      // §4.3.5: configuration only; no yiaddr, no lease time.
      const m = baseReply(request);
      m.ciaddr = request.ciaddr;
      setBootFields(m, request, binding);
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
