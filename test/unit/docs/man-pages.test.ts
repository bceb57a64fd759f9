/**
 * The man pages (src/docs/man-pages.ts) document exactly what the code
 * accepts: the keys documented in onlinkd.conf(5), read back from the roff,
 * are the key table's and the binding schema's; onlinkctl(8)'s commands name
 * control commands that exist and its bind options are the schema's; and
 * groff renders every page without a warning.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CONFIG_KEYS, KEY_FAMILIES } from '../../../src/config/keys.js';
import { FAMILIES, KEYS, argName } from '../../../src/bindings/schema.js';
import { COMMANDS } from '../../../src/control/commands.js';
import { configPage, manPages, onlinkctlPage, onlinkdPage } from '../../../src/docs/man-pages.js';
import { roffText, usageEntries } from '../../../src/docs/roff.js';

/** `.TP` terms of the page's `.SH name` section (up to the next `.SH`), with the `.SS` they sit under. */
function terms(page: string, section: string): { ss: string; term: string; text: string }[] {
  const lines = page.split('\n');
  const from = lines.indexOf(`.SH ${section}`);
  expect(from, `no .SH ${section}`).toBeGreaterThanOrEqual(0);
  const out: { ss: string; term: string; text: string }[] = [];
  let ss = '';
  for (let i = from + 1; i < lines.length && !lines[i]!.startsWith('.SH '); i++) {
    if (lines[i]!.startsWith('.SS ')) ss = lines[i]!.slice(4);
    if (lines[i] === '.TP') out.push({ ss, term: lines[i + 1]!, text: lines[i + 2]! });
  }
  return out;
}

/** A term's text without font escapes, `\-` as `-`. */
const plain = (roff: string): string => roff.replace(/\\f[BIRP]/g, '').replaceAll('\\-', '-');

describe('onlinkd.conf(5)', () => {
  const page = configPage().text;

  it('documents every configuration key, and no other, under its section', () => {
    const documented = terms(page, 'CONFIGURATION KEYS')
      .filter((t) => !KEY_FAMILIES.some((f) => t.ss === `[${f.section}]`))
      .map((t) => `${t.ss.slice(1, -1)}.${plain(t.term)}`);
    expect(documented.sort()).toEqual([...CONFIG_KEYS].sort());
    expect(new Set(documented).size).toBe(documented.length);
  });

  it('documents the numbered-key sections', () => {
    const sections = new Set(terms(page, 'CONFIGURATION KEYS').map((t) => t.ss));
    for (const f of KEY_FAMILIES) expect(sections).toContain(`[${f.section}]`);
  });

  it('documents every binding key, and no other', () => {
    const documented = terms(page, 'BINDING KEYS').map((t) => plain(t.term).replace(/=.*$/, ''));
    expect(documented.sort()).toEqual([...KEYS.map((k) => k.file), ...FAMILIES.map((f) => `${f.prefix}n`)].sort());
  });

  it('shows each default', () => {
    expect(page).toMatch(/\.TP\n\\fBdatapath\\fR\n.*\n\.br\nDefault: \/var\/lib\/onlinkd\./);
    expect(page).toMatch(/\.TP\n\\fBcontrol_group\\fR\n.*\n\.br\nDefault: unset\./);
  });
});

describe('onlinkctl(8)', () => {
  const page = onlinkctlPage().text;

  it('lists the commands of the help text, each naming a control command that exists', () => {
    const cmds = terms(page, 'COMMANDS').map((t) => plain(t.term).split(' ')[0]);
    expect(cmds).toEqual(expect.arrayContaining(['list', 'show', 'bind', 'unbind', 'announce', 'stats', 'reload', 'status', 'version']));
    for (const t of terms(page, 'COMMANDS')) {
      const named = /\(([a-z-]+)\)$/.exec(plain(t.text))?.[1];
      expect(Object.keys(COMMANDS), `${plain(t.term)}: (${named})`).toContain(named);
    }
  });

  it('lists a bind option per binding key', () => {
    const opts = terms(page, 'BIND OPTIONS').map((t) => plain(t.term).split(' ')[0]);
    expect(opts.sort()).toEqual([...KEYS.map((k) => `--${argName(k).replaceAll('_', '-')}`), ...FAMILIES.map((f) => `--${f.cli}`)].sort());
  });
});

describe('onlinkd(8)', () => {
  it('lists the options of --help', () => {
    const opts = terms(onlinkdPage().text, 'OPTIONS').map((t) => plain(t.term));
    expect(opts).toEqual(expect.arrayContaining(['-c, --config FILE', '--datapath DIR', '--check', '-h, --help', '-V, --version']));
  });
});

describe('roff', () => {
  it('guards request characters at the start of a line, escapes backslashes and non-ASCII', () => {
    expect(roffText('.x\n\'y\na\\b')).toBe('\\&.x\n\\&\'y\na\\eb');
    expect(roffText('a…b')).toBe('a\\[u2026]b');
  });

  it('reads help entries with continuation lines', () => {
    expect(usageEntries('Opts:\n  -a, --all X   first\n                second\n  -b            b\nTail\n  -c  c\n', 'Opts:')).toEqual([
      { term: '-a, --all X', text: 'first second' },
      { term: '-b', text: 'b' },
    ]);
  });
});

describe('groff renders the pages', () => {
  const have = spawnSync('groff', ['--version'], { encoding: 'utf8' }).status === 0;
  const dir = mkdtempSync(join(tmpdir(), 'onlinkd-man-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it.runIf(have || !!process.env.CI).each(manPages().map((p) => [p.file, p.text]))('%s without warnings', (file, text) => {
    expect(have, 'groff missing (Debian package groff-base)').toBe(true);
    writeFileSync(join(dir, file), text);
    const r = spawnSync('groff', ['-man', '-Tutf8', '-ww', '-z', join(dir, file)], { encoding: 'utf8', timeout: 20_000 });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });
});
