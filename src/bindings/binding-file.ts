/**
 * nfdhcpd binding files: one file per tap, named after the tap, with
 * `KEY=VALUE` lines as nfdhcpd and snf-network write them. Parsing is
 * strict about values (a bad address names its line) and lenient about
 * form, as nfdhcpd was: blank lines and `#` comments are skipped, an empty
 * value means "unset", unknown keys are kept and written back.
 *
 * Values are shell words (shell-words.ts): hooks source these files. The
 * keys and their values are the binding schema's (schema.ts).
 */
import { isValidInterfaceName, type Binding } from './binding.js';
import { KEY_BY_FILE, buildBinding, valueProblem, BindingParseError, type BindingNote, type BindingParseResult, type KeyText } from './binding-build.js';
import { FAMILIES, KEYS, familyMember, memberKey, type BindingKeyFamily } from './schema.js';
import { optionSettingText, type OptionSettings } from '../protocols/option-settings.js';
import { readValue, shellWord } from './shell-words.js';

export { BindingParseError, type BindingParseResult } from './binding-build.js';

/** Largest binding file we read; real ones are a few hundred bytes. */
export const MAX_BINDING_FILE_SIZE = 64 * 1024;

/** Blanks around `KEY=VALUE` (sh's blanks and a CRLF file's CR), not every Unicode space as trim() does. */
function trimBlanks(s: string): string {
  return s.replace(/^[ \t\r]+|[ \t\r]+$/g, '');
}

/**
 * Parses one binding file. `tap` is the file name; it must be a valid
 * interface name (no path separators, dot files, or names past IFNAMSIZ).
 */
export function parseBindingFile(tap: string, text: string): BindingParseResult {
  const err = (line: number | undefined, key: string | undefined, detail: string): BindingParseResult => ({
    ok: false,
    error: new BindingParseError(line, key, detail),
  });
  if (!isValidInterfaceName(tap)) return err(undefined, undefined, `file name "${tap}" is not a valid interface name`);
  if (text.length > MAX_BINDING_FILE_SIZE) return err(undefined, undefined, `file larger than ${MAX_BINDING_FILE_SIZE} bytes`);
  if (text.includes('\0')) return err(undefined, undefined, 'file contains NUL bytes');

  const values = new Map<string, KeyText>();
  const members = new Map<BindingKeyFamily, Map<string, KeyText>>();
  const extra: Record<string, string> = {};
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const raw = trimBlanks(lines[i]!);
    if (raw === '' || raw.charCodeAt(0) === 0x23 /* # */) continue;
    const eq = raw.indexOf('=');
    if (eq <= 0) return err(i + 1, undefined, `expected KEY=VALUE, got ${JSON.stringify(raw.slice(0, 60))}`);
    let key = trimBlanks(raw.slice(0, eq));
    if (key.startsWith('export')) key = key.replace(/^export\s+/, '');
    if (!/^[A-Z][A-Z0-9_]*$/.test(key)) return err(i + 1, undefined, `bad key ${JSON.stringify(key.slice(0, 40))}`);
    const read = readValue(trimBlanks(raw.slice(eq + 1)));
    if (!read.ok) return err(i + 1, key, read.error);
    const spec = KEY_BY_FILE.get(key);
    const problem = valueProblem(read.value, spec);
    if (problem !== undefined) return err(i + 1, key, problem);
    // Later lines win, as in a shell sourcing the file.
    const member = spec ? undefined : familyMember(key);
    if (spec) values.set(key, { value: read.value, line: i + 1 });
    else if (member) getOrMake(members, member.family).set(member.codeText, { value: read.value, line: i + 1 });
    else extra[key] = read.value;
  }
  const built = buildBinding(tap, (k) => values.get(k), extra, members);
  const notes = built.ok ? nfdhcpdFlagNotes(values) : [];
  return built.ok && notes.length > 0 ? { ...built, notes } : built;
}

/**
 * nfdhcpd's flags (PRIVATE=, MACSPOOF=) whose value onlinkd reads as unset
 * ("0", "no", "false", "off": parseFlag) but nfdhcpd read as set (any
 * non-empty value): the binding behaves differently after a migration, so
 * say so (README, Migrating from nfdhcpd).
 */
function nfdhcpdFlagNotes(values: ReadonlyMap<string, KeyText>): BindingNote[] {
  const notes: BindingNote[] = [];
  for (const k of KEYS) {
    const t = k.kind === 'flag' && k.nfdhcpd !== undefined ? values.get(k.file) : undefined;
    if (t === undefined || t.value === '' || k.parse(t.value) !== false) continue;
    notes.push({ line: t.line, key: k.file, detail: `"${t.value}" is read as unset here; nfdhcpd read any non-empty value as set` });
  }
  return notes;
}

function getOrMake<K, V>(m: Map<K, Map<string, V>>, k: K): Map<string, V> {
  let v = m.get(k);
  if (!v) m.set(k, (v = new Map()));
  return v;
}

/** nfdhcpd's keys in the order its files have them (always written), then onlinkd's in schema order (when set). */
const WRITE_ORDER = [
  ...KEYS.filter((k) => k.nfdhcpd !== undefined).sort((a, b) => a.nfdhcpd! - b.nfdhcpd!),
  ...KEYS.filter((k) => k.nfdhcpd === undefined),
];

/** Writes a binding in the same format (nfdhcpd key order first, then onlinkd's, then unknown keys). */
export function serializeBinding(b: Binding): string {
  return bindingFileText(b).text;
}

/**
 * serializeBinding's text, and whether it quotes any value. A value written
 * unquoted is read back exactly as written (it is plain text with no blank
 * to trim), so only a file that quotes something can read back different:
 * binding-add checks the round trip only then.
 *
 * Every value not plainly safe is single-quoted (shellWord), so a hook that
 * sources the file gets exactly the value and runs nothing, whatever a
 * binding-add request put in TAGS or HOSTNAME. A line break, CR or NUL
 * cannot be written (it would start another KEY=VALUE line); the parser
 * never yields one, and this refuses to write one rather than trust that.
 */
export function bindingFileText(b: Binding): { text: string; quoted: boolean } {
  let quoted = false;
  let text = '';
  const line = (k: string, v: string): void => {
    if (/[\0\n\r]/.test(v)) throw new Error(`binding ${b.tap}: ${k} holds a line break or NUL and cannot be written`);
    const w = v === '' ? '' : shellWord(v);
    if (w !== v) quoted = true;
    text += `${k}=${w}\n`;
  };
  for (const k of WRITE_ORDER) {
    const v = k.format((b as unknown as Record<string, unknown>)[k.field]);
    if (v !== '' || k.nfdhcpd !== undefined) line(k.file, v);
  }
  for (const f of FAMILIES) {
    for (const s of (b as unknown as Record<string, OptionSettings>)[f.field]!) line(memberKey(f, s.code), optionSettingText(s));
  }
  for (const [k, v] of Object.entries(b.extra)) line(k, v);
  return { text, quoted };
}
