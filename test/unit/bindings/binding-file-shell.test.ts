/**
 * Issue 11, defect 3: hooks source binding files (`. /var/lib/nfdhcpd/tap10`),
 * so whatever binding-add puts in a value must come back from sh exactly as
 * sent, and nothing in it may run. Each hostile value goes through the real
 * binding-add validation (bindingFromArgs, i.e. the binding-file parser) and
 * the real serialiser, the file is sourced by every POSIX shell installed
 * (dash as /bin/sh, busybox sh, bash --posix), and a canary file proves no
 * command ran. Our own parser must read the file back exactly too.
 */
import fc from 'fast-check';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseBindingFile, serializeBinding } from '../../../src/bindings/binding-file.js';
import { bindingFromArgs } from '../../../src/bindings/binding-args.js';

const dir = mkdtempSync(join(tmpdir(), 'onlinkd-shell-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const CANARY = join(dir, 'canary');

const SHELLS: string[][] = [
  ['/bin/sh'],
  ...(existsSync('/usr/bin/busybox') || existsSync('/bin/busybox') ? [['busybox', 'sh']] : []),
  ...(existsSync('/usr/bin/bash') || existsSync('/bin/bash') ? [['bash', '--posix']] : []),
];

const MAC = 'aa:00:00:00:00:10';

/** Sources `file` with `shell` and returns TAGS and HOSTNAME as the shell sees them. */
function source(shell: string[], file: string): { tags: string; hostname: string } {
  const r = spawnSync(shell[0]!, [...shell.slice(1), '-c', '. "$1"; printf "%s\\000%s" "$TAGS" "$HOSTNAME"', 'sh', file], {
    env: { PATH: process.env.PATH, LC_ALL: 'C.UTF-8', HOME: '/nonexistent-home' },
    cwd: dir,
  });
  if (r.status !== 0) throw new Error(`${shell.join(' ')} failed (${r.status}): ${r.stderr.toString()}`);
  const [tags, hostname] = r.stdout.toString('utf8').split('\0');
  return { tags: tags!, hostname: hostname! };
}

let n = 0;
/** binding-add with these values → the file onlinkd writes → read back by every shell and by our parser. */
function roundTrip(args: { tags?: string; hostname?: string }): void {
  const r = bindingFromArgs({ tap: 'tap10', mac: MAC, ...args } as never);
  if (!r.ok) throw new Error(`binding-add refused ${JSON.stringify(args)}: ${r.text}`);
  const text = serializeBinding(r.binding);
  const file = join(dir, `tap${n++}`);
  writeFileSync(file, text);
  const again = parseBindingFile('tap10', text);
  expect(again.ok && again.binding, text).toEqual(r.binding);
  for (const shell of SHELLS) {
    const got = source(shell, file);
    expect(got.tags, `${shell.join(' ')}: ${text}`).toBe(args.tags ?? '');
    expect(got.hostname, `${shell.join(' ')}: ${text}`).toBe(args.hostname ?? '');
  }
}

const touch = `touch ${CANARY}`;
const HOSTILE = [
  `a'$(${touch})`,
  `a'\`${touch}\``,
  `$(${touch})`,
  `\`${touch}\``,
  `"$(${touch})"`,
  `'"'"'$(${touch})`,
  `a'; ${touch}; '`,
  `x" ; ${touch} ; "`,
  `\\'$(${touch})`,
  `\\`,
  `a\\`,
  `\\\\'\\"`,
  `it's`,
  `'`,
  `''`,
  `"`,
  `$HOME`,
  '${IFS}',
  '$((1+1))',
  '~',
  '~root',
  'a:~',
  '*',
  '/*',
  '#x',
  'a #x',
  ' lead and trail ',
  'a;b|c&d<e>f(g)',
  '!x',
  '{a,b}',
  '\u2028',
  'a\u2028b',
  '\u0085',
  'a\u0085b\u00a0c',
  'é ünïcödé 🎉',
  '-n',
  'a=b',
];

describe('binding files sourced by sh (issue 11, defect 3)', () => {
  it(`finds the shells (${SHELLS.map((s) => s.join(' ')).join(', ')})`, () => {
    expect(SHELLS.length).toBeGreaterThanOrEqual(1);
  });

  // The canary proves the attack with the quoting onlinkd used to write: it runs `touch`.
  it('the canary notices a command run by sourcing (the old double-quoted form)', () => {
    const file = join(dir, 'old-form');
    writeFileSync(file, `MAC=${MAC}\nHOSTNAME="a'$(${touch})"\n`);
    source(SHELLS[0]!, file);
    expect(existsSync(CANARY)).toBe(true);
    rmSync(CANARY);
  });

  it('hostile TAGS and HOSTNAME come back exactly from every shell, and nothing runs', () => {
    for (const v of HOSTILE) {
      roundTrip({ tags: v });
      // HOSTNAME allows printable ASCII without spaces (option 12); every such value goes in it too.
      if (/^[\x21-\x7e]+$/.test(v)) roundTrip({ hostname: v, tags: v });
    }
    expect(existsSync(CANARY)).toBe(false);
  });

  it('line breaks, CR and NUL are refused by binding-add with a clear message', () => {
    for (const v of ['a\nIP=203.0.113.9', 'a\r', 'a\0b']) {
      const r = bindingFromArgs({ tap: 'tap10', mac: MAC, tags: v } as never);
      expect(r.ok, JSON.stringify(v)).toBe(false);
      expect(!r.ok && r.text).toMatch(/control character/);
    }
  });

  // Strings the parser accepts come back exactly from sh and from the parser (bounded: each run spawns the shells).
  it('property: any value binding-add accepts reads back exactly from sh', { timeout: 120_000 }, () => {
    const special = fc.constantFrom("'", '"', '\\', '$', '`', ' ', '\t', '\u2028', '\u0085', '~', '#', ';', '|', '*', '(', ')', '!', '{', '=', ':', 'a', '\n', '\r', '\0');
    let accepted = 0;
    const value = fc.oneof(fc.string({ unit: special, maxLength: 12 }), fc.string({ unit: 'binary', maxLength: 12 }), fc.string({ maxLength: 12 }));
    fc.assert(
      fc.property(value, (v) => {
        const r = bindingFromArgs({ tap: 'tap10', mac: MAC, tags: v } as never);
        if (!r.ok) {
          // Refused only for what a one-line file cannot hold.
          expect(/[\x00-\x1f\x7f]|\p{Cs}/u.test(v), `${JSON.stringify(v)} refused: ${r.text}`).toBe(true);
          return;
        }
        roundTrip({ tags: v });
        accepted++;
      }),
      { numRuns: 200 },
    );
    expect(accepted).toBeGreaterThan(100); // not vacuous: most values are accepted and sourced
    expect(existsSync(CANARY)).toBe(false);
  });
});
