/**
 * The man pages onlinkd(8), onlinkctl(8) and onlinkd.conf(5), made from the
 * tables the code runs on: the configuration keys (config/keys.ts), the
 * binding schema (bindings/schema.ts) and the programs' --help texts, so a
 * page cannot document a key or option the code does not have, nor miss
 * one (test/unit/docs/man-pages.test.ts compares). scripts/man.mjs writes
 * them; the Debian package builds and installs them (debian/rules).
 */
import { KEY_ENTRIES, KEY_FAMILIES, KEYS as CONFIG, NFDHCPD_UNUSED_KEYS } from '../config/keys.js';
import type { SectionName } from '../config/settings.js';
import { DEFAULT_CONFIG_PATH } from '../config/load.js';
import { FAMILIES, KEYS } from '../bindings/schema.js';
import { USAGE as ONLINKCTL_USAGE, bindOptionTerm, familyOptionTerm } from '../cli/onlinkctl-run.js';
import { USAGE as ONLINKD_USAGE } from '../cli/onlinkd-usage.js';
import { VERSION } from '../util/version.js';
import { NO_WORDS, YES_WORDS } from '../util/yes-no.js';
import { roffDoc, roffTerm, roffText, tp, usageEntries } from './roff.js';

export interface ManPage {
  /** File name: `onlinkd.8`. */
  readonly file: string;
  readonly text: string;
}

const header = (name: string, section: number, title: string, what: string): string =>
  [
    `.\\" Generated from onlinkd's source (src/docs/man-pages.ts): do not edit.`,
    `.TH ${name.toUpperCase()} ${section} "" "onlinkd ${VERSION}" "${title}"`,
    '.SH NAME',
    `${roffText(name)} \\- ${roffText(what)}`,
  ].join('\n');

const para = (s: string): string => `.PP\n${s}`;
const sh = (s: string): string => `.SH ${s}`;
const seeAlso = (...pages: string[]): string => `${sh('SEE ALSO')}\n${pages.map((p) => `.BR ${p.replace('(', ' (')}`).join(',\n')}`;

/** The first line of a --help text, without `Usage: `, as a synopsis. */
function synopsis(usage: string): string {
  const first = usage.split('\n')[0]!.replace(/^Usage: /, '');
  return `${sh('SYNOPSIS')}\n${roffTerm(first)}`;
}

/** The paragraph of a --help text that starts with `start` (joined into one line). */
function usageParagraph(usage: string, start: string): string {
  const p = usage.split('\n\n').find((x) => x.startsWith(start));
  if (p === undefined) throw new Error(`no paragraph "${start}" in the help text`);
  return p.replace(/\s*\n\s*/g, ' ').trim();
}

const entries = (usage: string, heading?: string): string =>
  usageEntries(usage, heading).map((e) => tp(roffTerm(e.term), roffText(e.text))).join('\n');

const defaults = CONFIG.general;

export function onlinkdPage(): ManPage {
  const text = [
    header('onlinkd', 8, 'System Administration', 'DHCPv4, RA, NA and stateless DHCPv6 responder for VM taps'),
    synopsis(ONLINKD_USAGE),
    sh('DESCRIPTION'),
    roffText(usageParagraph(ONLINKD_USAGE, 'Answers')),
    para(roffText('It answers, on every VM tap of a hypervisor that has a binding, the on-link requests a guest makes: DHCPv4, ' +
      'IPv6 Router and Neighbor Solicitations, DHCPv6 Information-Requests, and announces the guests\' addresses on the uplinks. ' +
      'It reads nfdhcpd\'s configuration file and binding files (see onlinkd.conf(5)); binding files are followed live, and ' +
      'onlinkctl(8) adds, removes and shows bindings over the control socket.')),
    sh('OPTIONS'),
    entries(ONLINKD_USAGE),
    sh('SIGNALS'),
    tp('\\fBSIGHUP\\fR', roffText('reload the configuration file (bindings are not touched)')),
    tp('\\fBSIGTERM\\fR, \\fBSIGINT\\fR', roffText('stop cleanly')),
    sh('EXIT STATUS'),
    roffText('0: stopped by a signal, or --check found no error; 1: the configuration has an error, or the daemon cannot start; 2: usage error.'),
    sh('ENVIRONMENT'),
    tp('\\fBONLINKD_DEBUG\\fR', roffText('set: start failures are printed with their stack')),
    tp('\\fBUV_THREADPOOL_SIZE\\fR', roffText('libuv threads for file writes (the systemd unit sets 16)')),
    sh('FILES'),
    tp(`\\fI${roffText(DEFAULT_CONFIG_PATH)}\\fR`, roffText('the configuration file')),
    tp(`\\fI${roffText(defaults.datapath.default)}\\fR`, roffText(`binding files, one per tap ([general] ${defaults.datapath.key})`)),
    tp(`\\fI${roffText(defaults.controlSocket.default)}\\fR`, roffText(`the control socket ([general] ${defaults.controlSocket.key})`)),
    seeAlso('onlinkctl(8)', 'onlinkd.conf(5)', 'systemd-sysusers(8)'),
  ];
  return { file: 'onlinkd.8', text: `${text.join('\n')}\n` };
}

export function onlinkctlPage(): ManPage {
  const text = [
    header('onlinkctl', 8, 'System Administration', "control onlinkd(8): bindings, announcements, counters"),
    synopsis(ONLINKCTL_USAGE),
    sh('DESCRIPTION'),
    roffText(usageParagraph(ONLINKCTL_USAGE, 'Talks')),
    para(roffText('Each command is one request on the control socket; the name in parentheses is the control command it sends.')),
    sh('COMMANDS'),
    entries(ONLINKCTL_USAGE, 'Commands:'),
    sh('BIND OPTIONS'),
    roffText('The keys of a binding file (see onlinkd.conf(5)); unset ones stay unset; lists are repeatable.'),
    ...KEYS.map((k) => tp(roffTerm(bindOptionTerm(k)), roffDoc(k.doc))),
    ...FAMILIES.map((f) => tp(roffTerm(familyOptionTerm(f)), roffDoc(`${f.doc} (repeatable)`))),
    sh('OPTIONS'),
    entries(ONLINKCTL_USAGE, 'Options:'),
    sh('EXIT STATUS'),
    roffText(usageParagraph(ONLINKCTL_USAGE, 'Exit status:').replace(/^Exit status: /, '')),
    sh('ENVIRONMENT'),
    tp('\\fBONLINKD_SOCKET\\fR', roffText('the control socket, when --socket is not given')),
    seeAlso('onlinkd(8)', 'onlinkd.conf(5)'),
  ];
  return { file: 'onlinkctl.8', text: `${text.join('\n')}\n` };
}

/** A configuration key's default as the page shows it. */
const defaultText = (spec: { default: string; computed?: string }): string =>
  spec.computed ?? (spec.default === '' ? 'unset' : spec.default);

function configSection(section: SectionName): string[] {
  const out = [`.SS [${section}]`];
  for (const { spec } of KEY_ENTRIES.filter((e) => e.section === section)) {
    out.push(tp(`\\fB${roffText(spec.key)}\\fR`, `${roffDoc(spec.doc)}.\n.br\nDefault: ${roffText(defaultText(spec))}.`));
  }
  for (const key of NFDHCPD_UNUSED_KEYS[section] ?? []) {
    out.push(tp(`\\fB${roffText(key)}\\fR`, roffText("nfdhcpd's: accepted, reported as unused.")));
  }
  return out;
}

export function configPage(): ManPage {
  const sections = [...new Set(KEY_ENTRIES.map((e) => e.section))];
  const text = [
    header('onlinkd.conf', 5, 'File Formats', 'onlinkd configuration and binding files'),
    sh('SYNOPSIS'),
    `\\fI${roffText(DEFAULT_CONFIG_PATH)}\\fR`,
    '.br',
    `\\fI${roffText(`${defaults.datapath.default}/`)}\\fRTAP`,
    sh('DESCRIPTION'),
    roffText("onlinkd(8) reads an INI file in nfdhcpd's format: [section] headers and key = value lines. " +
      "nfdhcpd's nfdhcpd.conf is accepted as it is (its NFQUEUE keys are reported as unused); any other unknown key stops the " +
      `daemon with FILE:LINE: KEY: and the reason. Booleans: ${YES_WORDS.map((w, i) => `${w}/${NO_WORDS[i]}`).join(', ')}. Lists: comma or space separated. ` +
      "Comments: lines starting with '#' or ';', or ' # ...' after a value. onlinkd --check --config FILE validates a file; " +
      'SIGHUP reloads it.'),
    sh('CONFIGURATION KEYS'),
    ...sections.flatMap((s) => configSection(s)),
    ...KEY_FAMILIES.flatMap((f) => [`.SS [${f.section}]`, tp('\\fIcode\\fR = \\fIvalue\\fR', `${roffDoc(f.doc)}.`)]),
    sh('BINDING FILES'),
    roffText(`One file per tap in the state directory ([general] ${defaults.datapath.key}), named after the tap, in nfdhcpd's format: ` +
      'KEY=VALUE lines, as snf-network and Ganeti hooks write them. Values are read as sh(1) reads them: plain, \'...\' or "..."; ' +
      'what sh would expand or split ($, backquotes, ~, blanks next to quotes), unbalanced quotes and control characters are refused. ' +
      `A key onlinkd does not know is kept and written back. A flag is set by any value but ${NO_WORDS.slice(0, -1).join(', ')} and ${NO_WORDS.at(-1)}. Files are followed ` +
      'live; a file that does not parse is logged with its path, line and key, and the last good binding for the tap stays in force.'),
    para(roffText('binding-add on the control socket takes the same keys in lower case, onlinkctl bind as options (onlinkctl(8)).')),
    sh('BINDING KEYS'),
    ...KEYS.map((k) => tp(`\\fB${roffText(k.file)}\\fR=\\fI${roffText(k.meta ?? 'VALUE')}\\fR`, roffDoc(k.doc))),
    ...FAMILIES.map((f) => tp(`\\fB${roffText(f.prefix)}\\fR\\fIn\\fR=\\fIVALUE\\fR`, roffDoc(f.doc))),
    sh('EXAMPLE'),
    '.nf',
    ...['MAC=aa:00:00:00:00:10', 'IP=203.0.113.10', 'SUBNET=203.0.113.0/24', 'GATEWAY=203.0.113.1', 'HOSTNAME=vm10',
      'SUBNET6=2001:db8:10::/64', 'GATEWAY6=2001:db8:10::1'].map(roffText),
    '.fi',
    seeAlso('onlinkd(8)', 'onlinkctl(8)'),
  ];
  return { file: 'onlinkd.conf.5', text: `${text.join('\n')}\n` };
}

export const manPages = (): ManPage[] => [onlinkdPage(), onlinkctlPage(), configPage()];

