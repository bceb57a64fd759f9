/**
 * The OPTION_<n> / OPTION6_<n> key families (schema.ts BINDING_FAMILIES):
 * one entry from which the file parser and writer, binding-add's schema
 * and translation, onlinkctl's --option and `show`, and the README row are
 * derived; file ↔ binding ↔ binding-add ↔ CLI agree.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bindingArgs, bindingFromArgs, type BindingAddArgs } from '../../../src/bindings/binding-args.js';
import { parseBindingFile, serializeBinding } from '../../../src/bindings/binding-file.js';
import { bindingKeysMarkdown } from '../../../src/bindings/binding-keys-doc.js';
import { OPTION_CODES_BLOCK, optionCodesMarkdown } from '../../../src/bindings/option-keys-doc.js';
import { familyMember } from '../../../src/bindings/schema.js';
import { generatedBlock } from '../../../src/util/generated-block.js';
import { formatBindingShow } from '../../../src/cli/onlinkctl-format.js';
import { run } from '../../../src/cli/onlinkctl-run.js';
import { bindingAddArgsSchema, formatIssues } from '../../../src/control/protocol.js';
import { FakeContext, startTestServer, type TestServer } from '../control/fake-context.js';
import { bindingFileError } from '../../helpers/binding.js';

const BASE = 'MAC=aa:00:00:00:00:10\nIP=203.0.113.10\nSUBNET=203.0.113.0/24\nGATEWAY=203.0.113.1\n';

function parsed(text: string) {
  const r = parseBindingFile('tap10', BASE + text);
  if (!r.ok) throw r.error;
  return r.binding;
}

const fileError = (text: string): string => bindingFileError(BASE + text);

describe('OPTION_<n> in binding files', () => {
  it('parses members into settings in code order, canonical, always: kept', () => {
    const b = parsed("OPTION_224=always:text:hi there\nOPTION_42='203.0.113.5, 203.0.113.6'\nOPTION6_31=2001:DB8::1\nOPTION_19=\n");
    expect(b.dhcp4Options).toEqual([
      { code: 42, value: '203.0.113.5,203.0.113.6', always: false },
      { code: 224, value: 'text:hi there', always: true },
    ]);
    expect(b.dhcp6Options).toEqual([{ code: 31, value: '2001:db8::1', always: false }]);
    expect(b.extra).toEqual({});
  });

  it('writes them after the fixed keys and reads back the same binding', () => {
    const b = parsed("OPTION_224=always:text:hi there\nOPTION_42=203.0.113.5,203.0.113.6\nOPTION6_42=Europe/[x]\n");
    const text = serializeBinding(b);
    expect(text).toContain("\nOPTION_42=203.0.113.5,203.0.113.6\nOPTION_224='always:text:hi there'\nOPTION6_42='Europe/[x]'\n");
    const again = parseBindingFile('tap10', text);
    expect(again.ok && again.binding).toEqual(b);
  });

  it('errors name the line and the member key', () => {
    expect(fileError('\nOPTION_42=203.0.113.300\n')).toBe('line 6: OPTION_42: option 42 (ntp-servers, ipv4-list): "203.0.113.300" is not an IPv4 address; or write hex:... or text:...');
    expect(fileError('OPTION_3=203.0.113.1\n')).toBe('line 5: OPTION_3: option 3 (routers) is set by onlinkd: the router comes from GATEWAY (and PRIVATE)');
    expect(fileError('OPTION_0=hex:00\n')).toMatch(/^line 5: OPTION_0: DHCPv4 option code 0 is outside 1\.\.254$/);
    expect(fileError('OPTION_042=203.0.113.1\n')).toMatch(/^line 5: OPTION_042: write the code without leading zeros$/);
    expect(fileError('OPTION6_23=2001:db8::53\n')).toMatch(/^line 5: OPTION6_23: .*DNS6/);
    expect(fileError('OPTION_224=0a0b\n')).toMatch(/OPTION_224: no typed form: write hex:0a0b0c or text:/);
  });

  it('a key that only looks like one stays an unknown key (kept, written back)', () => {
    expect(parsed('OPTION_X=1\nOPTIONS_42=1\n').extra).toEqual({ OPTION_X: '1', OPTIONS_42: '1' });
    expect(familyMember('OPTION6_42')?.family.prefix).toBe('OPTION6_');
    expect(familyMember('OPTION_42')?.code).toBe(42);
    expect(familyMember('option_42', true)?.code).toBe(42);
    expect(familyMember('option_42')).toBeUndefined();
  });
});

describe('option_<n> in binding-add', () => {
  const args = (more: Record<string, unknown>): BindingAddArgs => ({ tap: 'tap10', mac: 'aa:00:00:00:00:10', ...more }) as BindingAddArgs;

  it('accepts members as strings; anything else is an unknown key as before', () => {
    expect(bindingAddArgsSchema.safeParse(args({ option_42: '203.0.113.5', option6_31: '2001:db8::1', option_66: null })).success).toBe(true);
    const r = bindingAddArgsSchema.safeParse(args({ option_42: 42, optoin_42: 'x', ipv6: 'y' }));
    expect(r.success).toBe(false);
    if (!r.success) expect(formatIssues(r.error.issues, 'arguments')).toBe('arguments.option_42: must be a string; arguments: unknown keys "optoin_42", "ipv6"');
  });

  it('builds the same binding and file as the file does, and binding-get gives the arguments back', () => {
    const r = bindingFromArgs(args({ option_42: '203.0.113.5 203.0.113.6', option_224: 'always:hex:0a0b', option6_31: '2001:db8::1' }));
    if (!r.ok) throw new Error(r.text);
    expect(r.binding.dhcp4Options).toEqual([
      { code: 42, value: '203.0.113.5,203.0.113.6', always: false },
      { code: 224, value: 'hex:0a0b', always: true },
    ]);
    const file = parseBindingFile('tap10', r.text);
    expect(file.ok && file.binding).toEqual(r.binding);
    const back = bindingArgs(r.binding);
    expect(back).toMatchObject({ option_42: '203.0.113.5,203.0.113.6', option_224: 'always:hex:0a0b', option6_31: '2001:db8::1' });
    const again = bindingFromArgs({ tap: 'tap10', ...back } as BindingAddArgs);
    expect(again.ok && again.binding).toEqual(r.binding);
  });

  it('refuses bad members with result 1 naming the argument', () => {
    const r = bindingFromArgs(args({ option_54: '203.0.113.1' }));
    expect(r).toMatchObject({ ok: false, key: 'option_54', text: expect.stringMatching(/^invalid binding: option_54: option 54 \(server-identifier\) is set by onlinkd/) });
    expect(bindingFromArgs(args({ option_42: '203.0.113.5\nMAC=x' }))).toMatchObject({ ok: false, key: 'option_42' });
    expect(bindingFromArgs(args({ option_42: ' 203.0.113.5' }))).toMatchObject({ ok: false, key: 'option_42', reason: expect.stringMatching(/white space/) });
  });
});

describe('onlinkctl --option / --option6 and show', () => {
  let sock: string;
  let ctx: FakeContext;
  let server: TestServer;
  beforeAll(async () => {
    ctx = new FakeContext();
    server = await startTestServer(ctx, 'onlinkctl-opt-');
    sock = server.path;
  });
  afterAll(() => server.close());
  const ctl = async (argv: string[]) => {
    let out = '';
    let err = '';
    const code = await run(['-s', sock, ...argv], { stdout: (x) => void (out += x), stderr: (x) => void (err += x), env: {} });
    return { code, out, err };
  };

  it('bind takes repeatable N=VALUE; show prints each option with its name', async () => {
    const r = await ctl(['bind', 'tap40', '--mac', 'aa:00:00:00:00:40', '--option', '42=203.0.113.5,203.0.113.6', '--option', '224=always:text:a=b',
      '--option6', '31=2001:db8::1']);
    expect(r).toEqual({ code: 0, out: 'binding for tap40 added\n', err: '' });
    expect(ctx.infos.get('tap40')!.binding!.dhcp4Options.map((o) => o.code)).toEqual([42, 224]);
    const show = await ctl(['show', 'tap40']);
    expect(show.out).toMatch(/^option 42 \(ntp-servers\): +203\.0\.113\.5,203\.0\.113\.6$/m);
    expect(show.out).toMatch(/^option 224: +always:text:a=b$/m);
    expect(show.out).toMatch(/^option6 31 \(sntp-servers\): +2001:db8::1$/m);
  });

  it('a daemon refusal exits 1 with the message; a malformed use is a usage error', async () => {
    const r = await ctl(['bind', 'tap41', '--mac', 'aa:00:00:00:00:41', '--option', '3=203.0.113.1']);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^onlinkctl: invalid binding: option_3: option 3 \(routers\) is set by onlinkd: the router comes from GATEWAY/);
    expect((await ctl(['bind', 'tap41', '--mac', 'aa:00:00:00:00:41', '--option', 'ntp=1.2.3.4'])).code).toBe(2);
    expect((await ctl(['bind', 'tap41', '--mac', 'aa:00:00:00:00:41', '--option', '42=203.0.113.1', '--option', '42=203.0.113.2'])).code).toBe(2);
    expect((await ctl(['show', 'tap41', '--option', '42=203.0.113.1'])).code).toBe(2);
  });

  it('show tolerates odd members from another daemon', () => {
    expect(formatBindingShow({ tap: 't', binding: { option_7: 'x', option6_99999: 'y' } })).toMatch(/option 7 \(log-servers\): +x\noption6 99999: +y/);
  });
});

describe('README', () => {
  it('lists the codes onlinkd sets itself, from the catalogues (npm run docs:bindings)', () => {
    const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');
    expect(generatedBlock(readme, OPTION_CODES_BLOCK)).toBe(optionCodesMarkdown());
    expect(optionCodesMarkdown()).toContain('| `OPTION_3` | routers | refused: the router comes from GATEWAY (and PRIVATE) |');
    expect(optionCodesMarkdown()).toContain('| `OPTION_119` | domain-search | a value overrides `[dhcp] domain_search` |');
    expect(optionCodesMarkdown()).toContain('| `OPTION6_23` | dns-servers | refused:');
  });

  it('one row per family, derived from the schema', () => {
    const md = bindingKeysMarkdown();
    expect(md).toContain('| `OPTION_<n>` | `option_<n>` (string) | `--option N=VALUE` (repeatable) |');
    expect(md).toContain('| `OPTION6_<n>` | `option6_<n>` (string) | `--option6 N=VALUE` (repeatable) |');
  });
});
