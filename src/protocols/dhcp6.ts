/**
 * Stateless DHCPv6 (RFC 8415 §6.1, §18.3.6): Information-Request → Reply
 * with DNS servers and the domain search list. Pure: a decision from the
 * decoded message, the frame it came in, the binding and the settings.
 *
 * In mode `slaac+dhcpv6` onlinkd hands out no addresses (the RA's PIO
 * does, via SLAAC; M=0), so Solicit, Request, Confirm, Renew, Rebind,
 * Release and Decline are counted and left unanswered
 * ('stateful-not-offered'); in mode `dhcpv6` (MODE6 or `[ipv6] mode`,
 * ipv6-mode.ts) respondDhcp6 hands them to the stateful responder
 * (dhcp6-stateful.ts) and frames its answer as this one. Information-
 * Requests a stateless server must discard (§16.12) are: one that carries
 * an IA option, or a Server Identifier that is not ours.
 *
 * The Reply (§18.3.6): same transaction id; the Client Identifier echoed
 * when the request had one (it is optional in an Information-Request,
 * §18.2.6, RFC 7844 §4.3.1 — nfdhcpd assumed it and crashed); our Server
 * Identifier; option 23 (binding DNS6, else [ipv6] nameservers) and 24
 * ([ipv6] domains) when there is something to say; and an Information
 * Refresh Time (§21.23, default 86400 s = IRT_DEFAULT, never below
 * IRT_MINIMUM 600 s), without which a DNS change reaches the guest only a
 * day later. It goes from the router link-local, port 547, to the
 * request's source address and port at the frame's source MAC — not to an
 * address computed from the guest's MAC (nfdhcpd did; Windows and RFC 7217
 * guests then never got a reply).
 */
import { hostnameDomain } from '../util/domain.js';
import type { Binding } from '../bindings/binding.js';
import { domainListOption, dnsServersOption, informationRefreshTimeOption } from '../wire/dhcp6-options.js';
import {
  DHCP6_SERVER_PORT,
  Dhcp6MessageType,
  Dhcp6Option,
  clientIdentifier,
  getDhcp6Options,
  hasIdentityAssociation,
  optionRequestList,
  type Dhcp6Message,
} from '../wire/dhcp6.js';
import { DHCP6_CATALOG } from '../wire/dhcp6-option-catalog.js';
import { encodedOptions, type EncodedOption } from './option-settings.js';
import { keyedOptions6, withKeyedOptions } from './keyed-options.js';
import { askedKey, pickOptions, setsCode } from './requested-options.js';
import type { MacInput } from '../wire/addr.js';
import { duidLlFromMac } from '../wire/duid.js';
import type { Ipv6FrameMeta } from '../wire/frame6.js';
import { IPV6_DEFAULT_HOP_LIMIT } from '../wire/ipv6.js';
import { isIpv6Multicast, isUnicastIpv6, type Ipv6Input } from '../wire/ipv6-address.js';
import { sameBytes } from '../wire/reader.js';
import { routerLinkLocalOctets, searchDomains, type Ipv6Settings } from './router-advert.js';
import { requestDrop, type RequestDrop } from './drop.js';
import { bootfileUrlOption } from './dhcp6-boot.js';
import { answersInformationRequest, answersStateful, effectiveMode6 } from './ipv6-mode.js';
import { respondStateful, STATEFUL_TYPES } from './dhcp6-stateful.js';

/** IRT_DEFAULT and IRT_MINIMUM (RFC 8415 §7.6). */
export const DEFAULT_INFORMATION_REFRESH_TIME = 86400;
export const MIN_INFORMATION_REFRESH_TIME = 600;

export interface Dhcp6ResponderOptions {
  /** Seconds for option 32 (default 86400; values below 600 are raised to 600). */
  informationRefreshTime?: number;
}

/** The frame an Information-Request came in: addresses, hop limit and the UDP source port. */
export type Dhcp6FrameMeta = Ipv6FrameMeta & { srcPort: number };

export interface Dhcp6Reply {
  message: Dhcp6Message;
  /** Octets (the router link-local; the request's source, a view valid while it is answered) or text. */
  srcIp: Ipv6Input;
  dstIp: Ipv6Input;
  /** The requester's decoded MAC (a 48-bit number). */
  dstMac: MacInput;
  srcPort: number;
  dstPort: number;
  hopLimit: number;
}

export type Dhcp6Decision =
  /** `declined`: a Decline's addresses (logged as a warning: something else on the link uses them). */
  | { kind: 'reply'; reply: Dhcp6Reply; request: number; declined?: Uint8Array[] }
  /** Nothing to send; `reason` names the drop counter. */
  | RequestDrop<number>;

/**
 * onlinkd's server DUID: DUID-LL (RFC 8415 §11.4) of a fixed MAC, which
 * the daemon chooses and keeps, so the DUID is stable across restarts
 * (§11: "the DUID ... SHOULD NOT change over time"). nfdhcpd minted a new
 * DUID-LLT from the clock for every reply.
 */
export function makeServerDuid(mac: string): Uint8Array {
  return duidLlFromMac(mac);
}

/** Option 32's value: the configured time in whole seconds, within IRT_MINIMUM..0xffffffff (infinity). */
export function refreshTime(configured: number | undefined): number {
  if (configured === undefined || !Number.isFinite(configured)) return DEFAULT_INFORMATION_REFRESH_TIME;
  return Math.max(MIN_INFORMATION_REFRESH_TIME, Math.min(Math.floor(configured), 0xffffffff));
}

/**
 * Options 23, 24 and 32 as encoded for a binding under some settings, kept
 * while both objects live (they are replaced, never mutated, on change):
 * the same guest asks again and again and gets the same bytes. Still pure.
 */
interface EncodedConfig {
  settings: Ipv6Settings;
  dns: Uint8Array | undefined;
  domains: Uint8Array | undefined;
  refresh: Uint8Array;
  /** Options set by the operator (OPTION6_<n>, [dhcp6-options]: option-settings.ts), merged and encoded. */
  extras: readonly EncodedOption[];
}

const configCache = new WeakMap<Binding, EncodedConfig>();

function encodedConfig(binding: Binding, settings: Ipv6Settings): EncodedConfig {
  const hit = configCache.get(binding);
  if (hit && hit.settings === settings) return hit;
  const dns = binding.dns6 ?? settings.nameservers;
  // Neither DOMAIN= nor [ipv6] domains: the HOSTNAME's domain, as nfdhcpd sent (RAs send no DNSSL for it, as nfdhcpd's did not).
  const listed = searchDomains(binding, settings);
  const fallback = listed.length === 0 ? hostnameDomain(binding.hostname) : undefined;
  const domains = fallback === undefined ? listed : [fallback.toLowerCase()];
  // CAPTIVE_PORTAL (103) joins the operator's options as an asked-for one (keyed-options.ts).
  const extras = withKeyedOptions(encodedOptions(DHCP6_CATALOG, binding.dhcp6Options, settings.dhcp6Options), keyedOptions6(binding));
  const c: EncodedConfig = {
    settings,
    dns: dns.length > 0 ? dnsServersOption.encode([...dns]) : undefined,
    // An operator's option 24 replaces [ipv6] domains here (the catalogue documents the override); RAs keep DNSSL.
    domains: domains.length > 0 && !setsCode(extras, Dhcp6Option.DomainList) ? domainListOption.encode(domains) : undefined,
    refresh: informationRefreshTimeOption.encode(refreshTime(settings.informationRefreshTime)),
    extras,
  };
  configCache.set(binding, c);
  return c;
}

/**
 * Decides the answer to one DHCPv6 message from the guest on a bound tap
 * (the caller has checked it arrived on UDP port 547).
 *
 * Drops (reason = counter): 'dhcpv6-disabled' (DHCPv6 off, or mode
 * 'slaac'); 'stateful-not-offered' (Solicit, Request, Confirm, Renew,
 * Rebind, Release, Decline); 'not-a-request' (a server's message type:
 * Advertise, Reply, Reconfigure); 'unexpected-message-type' (anything
 * else); 'ia-in-information-request' and 'other-server' (§16.12);
 * 'bad-source' (the request's source is ::, multicast or not an address:
 * nowhere to reply).
 */
export function respondInformationRequest(
  msg: Dhcp6Message,
  meta: Dhcp6FrameMeta,
  binding: Binding,
  settings: Ipv6Settings,
  serverDuid: Uint8Array,
  serverMac: string,
  options: Dhcp6ResponderOptions = {},
): Dhcp6Decision {
  const request = msg.msgType;
  const drop = (reason: string): Dhcp6Decision => requestDrop(reason, request);
  if (!settings.enable || !settings.enableDhcpv6 || !answersInformationRequest(effectiveMode6(binding, settings))) return drop('dhcpv6-disabled');
  if (request !== Dhcp6MessageType.InformationRequest) {
    if (STATEFUL_TYPES.has(request)) return drop('stateful-not-offered');
    if (request === Dhcp6MessageType.Advertise || request === Dhcp6MessageType.Reply || request === Dhcp6MessageType.Reconfigure) {
      return drop('not-a-request');
    }
    return drop('unexpected-message-type');
  }
  // RFC 8415 §16.12: an Information-Request with an IA option, or a Server Identifier that is not ours, is discarded.
  if (hasIdentityAssociation(msg)) return drop('ia-in-information-request');
  for (const sid of getDhcp6Options(msg, Dhcp6Option.ServerId)) if (!sameBytes(sid, serverDuid)) return drop('other-server');
  if (!isUnicastIpv6(meta.src)) return drop('bad-source');

  const out: Array<[number, Uint8Array]> = [];
  const cid = clientIdentifier(msg);
  if (cid) out.push([Dhcp6Option.ClientId, cid.slice()]);
  out.push([Dhcp6Option.ServerId, serverDuid.slice()]);
  const c = configurationOptions(out, msg, binding, settings);
  const irt = options.informationRefreshTime === undefined ? c.refresh : informationRefreshTimeOption.encode(refreshTime(options.informationRefreshTime));
  out.push([Dhcp6Option.InformationRefreshTime, irt]);
  operatorOptions(out, msg, c);
  return { kind: 'reply', request, reply: addressed({ msgType: Dhcp6MessageType.Reply, transactionId: msg.transactionId, options: out }, meta, serverMac) };
}

/** DNS servers, domains and BOOTFILE6 (when asked) appended to `out`; returns the binding's encoded configuration. */
function configurationOptions(out: Array<[number, Uint8Array]>, msg: Dhcp6Message, binding: Binding, settings: Ipv6Settings): EncodedConfig {
  const c = encodedConfig(binding, settings);
  if (c.dns) out.push([Dhcp6Option.DnsServers, c.dns]);
  if (c.domains) out.push([Dhcp6Option.DomainList, c.domains]);
  const bootUrl = bootfileUrlOption(msg, binding); // BOOTFILE6, when the ORO asks (dhcp6-boot.ts)
  if (bootUrl) out.push(bootUrl);
  return c;
}

/** The operator's options: those the ORO asks for (RFC 8415 §18.3.6), and the always: ones. */
function operatorOptions(out: Array<[number, Uint8Array]>, msg: Dhcp6Message, c: EncodedConfig): void {
  if (c.extras.length === 0) return;
  const oro = optionRequestList(msg);
  out.push(...pickOptions(c.extras, askedKey(c.extras, (code) => oro !== undefined && oro.includes(code))));
}

/** From the router link-local, port 547, to the request's source address, port and MAC. */
function addressed(message: Dhcp6Message, meta: Dhcp6FrameMeta, serverMac: string): Dhcp6Reply {
  return {
    message,
    srcIp: routerLinkLocalOctets(serverMac),
    dstIp: meta.src,
    dstMac: meta.srcMac,
    srcPort: DHCP6_SERVER_PORT,
    dstPort: meta.srcPort,
    hopLimit: IPV6_DEFAULT_HOP_LIMIT,
  };
}

/**
 * Every DHCPv6 message from the guest on a bound tap: in mode `dhcpv6`
 * (ipv6-mode.ts) Solicit, Request, Confirm, Renew, Rebind, Release and
 * Decline go to the stateful responder (dhcp6-stateful.ts; its drops are
 * counted under their reasons), whose Advertise or Reply gets the
 * configuration options as an Information-Request's Reply does (DNS,
 * domains, BOOTFILE6 and the operator's, by the ORO; no Information
 * Refresh Time, which only goes with Information-Requests, §21.23);
 * everything else is respondInformationRequest's.
 */
export function respondDhcp6(
  msg: Dhcp6Message,
  meta: Dhcp6FrameMeta,
  binding: Binding,
  settings: Ipv6Settings,
  serverDuid: Uint8Array,
  serverMac: string,
): Dhcp6Decision {
  if (!STATEFUL_TYPES.has(msg.msgType) || !settings.enable || !settings.enableDhcpv6 || !answersStateful(effectiveMode6(binding, settings))) {
    return respondInformationRequest(msg, meta, binding, settings, serverDuid, serverMac);
  }
  if (!isUnicastIpv6(meta.src)) return requestDrop('bad-source', msg.msgType);
  const d = respondStateful(msg, binding, settings, serverDuid, isIpv6Multicast(meta.dst));
  if (d.kind === 'drop') return d;
  const out = d.message.options;
  if (d.configure) operatorOptions(out, msg, configurationOptions(out, msg, binding, settings));
  return { kind: 'reply', request: d.request, reply: addressed(d.message, meta, serverMac), ...(d.declined ? { declined: d.declined } : {}) };
}
