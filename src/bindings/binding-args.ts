/**
 * A binding as binding-add's arguments (JSON: the binding-file keys in
 * lower case, plus `tap`) and back, both derived from the schema. A request
 * is validated by the same builder as a file (binding-build.ts), with the
 * same messages, naming the argument; the binding is built once and its file
 * text made once, which is what the state directory receives.
 */
import { sameValue, isValidInterfaceName, type Binding } from './binding.js';
import { bindingFileText, parseBindingFile } from './binding-file.js';
import { KEY_BY_FILE, buildBinding, valueProblem, type KeyText } from './binding-build.js';
import { isCandidateName } from './directory.js';
import { FAMILIES, KEYS, argName, familyMember, memberKey, type AnyBindingKey, type BindingKeyFamily, type BindingKeySpec } from './schema.js';
import { optionSettingText, type OptionSettings } from '../protocols/option-settings.js';

/** The JSON type of each kind of key (null, "" and false for a flag mean unset, as an empty value in a file). */
export interface ArgValues {
  text: string;
  number: number | string;
  flag: boolean;
  switch: boolean;
  list: string | readonly string[];
}

/** Fixed keys by name; key-family members (`option_42`) as strings. */
export type BindingArgs = { [K in BindingKeySpec as Lowercase<K['file']>]?: ArgValues[K['kind']] | null } & { [member: string]: unknown };
export type BindingAddArgs = BindingArgs & { tap: string; mac: string };

export type BindingFromArgs = { ok: true; binding: Binding; text: string } | { ok: false; text: string; key: string | undefined; reason: string };

/** A tap name that is an interface name and that the state directory would not skip. */
export function checkTapName(tap: string): string | undefined {
  if (!isValidInterfaceName(tap)) return `tap: ${JSON.stringify(tap)} is not a valid interface name (1-15 of A-Z a-z 0-9 _ . : @ -)`;
  if (!isCandidateName(tap)) return `tap: ${JSON.stringify(tap)} would be skipped in the state directory (dot files and names ending in ~, .tmp, .swp are ignored)`;
  return undefined;
}

/** An argument as the text a binding file would hold (undefined: unset). */
function argText(k: AnyBindingKey, v: unknown): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'boolean') return k.kind === 'switch' ? (v ? 'yes' : 'no') : v ? '1' : undefined;
  if (typeof v === 'number') return String(v);
  if (Array.isArray(v)) return v.join(',');
  return String(v);
}

/** binding-add's name of a binding-file key (the key an error names): lower case, for family members too. */
export function argKey(fileKey: string | undefined): string | undefined {
  if (fileKey === undefined) return undefined;
  const k = KEY_BY_FILE.get(fileKey);
  return k ? argName(k) : fileKey.toLowerCase();
}

/** The family members among binding-add's arguments, as the file texts buildBinding reads; or the first bad one. */
function memberTexts(given: Record<string, unknown>): Map<BindingKeyFamily, Map<string, KeyText>> | { key: string; reason: string } {
  const out = new Map<BindingKeyFamily, Map<string, KeyText>>();
  for (const [arg, v] of Object.entries(given)) {
    const m = familyMember(arg, true);
    if (!m || v === undefined || v === null) continue;
    if (typeof v !== 'string') return { key: arg, reason: 'must be a string' };
    if (/[\x00-\x1f\x7f]/.test(v)) return { key: arg, reason: 'contains a control character (newline, tab, NUL, ...)' };
    const problem = valueProblem(v, undefined);
    if (problem !== undefined) return { key: arg, reason: problem };
    let texts = out.get(m.family);
    if (!texts) out.set(m.family, (texts = new Map()));
    texts.set(m.codeText, { value: v });
  }
  return out;
}

/**
 * The binding binding-add's arguments describe, and the file text that
 * stores it. The file is checked to read back unchanged, so what is
 * persisted is exactly what is applied (and the directory watcher re-reading
 * it changes nothing).
 */
export function bindingFromArgs(args: BindingAddArgs): BindingFromArgs {
  const fail = (key: string | undefined, reason: string): BindingFromArgs => ({
    ok: false,
    key,
    reason,
    text: `invalid binding: ${key ? `${key}: ` : ''}${reason}`,
  });
  const tapError = checkTapName(args.tap);
  if (tapError) return { ok: false, key: 'tap', reason: tapError.slice('tap: '.length), text: `invalid binding: ${tapError}` };

  const values = new Map<string, KeyText>();
  const given = args as Record<string, unknown>;
  for (const k of KEYS) {
    const value = argText(k, given[argName(k)]);
    if (value === undefined) continue;
    // A newline would start a new KEY=VALUE line in the file: a request could smuggle in keys.
    if (/[\x00-\x1f\x7f]/.test(value)) return fail(argName(k), 'contains a control character (newline, tab, NUL, ...)');
    const problem = valueProblem(value, k);
    if (problem !== undefined) return fail(argName(k), problem);
    values.set(k.file, { value });
  }
  const members = memberTexts(given);
  if (!(members instanceof Map)) return fail(members.key, members.reason);
  const built = buildBinding(args.tap, (f) => values.get(f), {}, members);
  if (!built.ok) return fail(argKey(built.error.key), built.error.detail);
  const b = built.binding;
  // Asked of the file that will be written, not of the request's values: a key whose normal form is
  // quoted is covered whatever the request sent. A file that quotes nothing reads back as written;
  // only one that quotes something needs the round trip.
  const file = bindingFileText(b);
  if (!file.quoted) return { ok: true, binding: b, text: file.text };
  const again = parseBindingFile(args.tap, file.text);
  if (!again.ok) return fail(undefined, `cannot be stored as a binding file: ${again.error.message}`);
  for (const k of [...KEYS, ...FAMILIES]) {
    if (!sameValue(b[k.field as keyof Binding], again.binding[k.field as keyof Binding])) {
      return fail('file' in k ? argName(k) : k.prefix.toLowerCase(), 'value cannot be stored in a binding file unchanged (quotes?)');
    }
  }
  return { ok: true, binding: b, text: file.text };
}

/**
 * The binding-add arguments that would recreate `b` (so `{tap, ...args}`
 * round-trips), in schema order; unset keys are left out, flags always there.
 */
export function bindingArgs(b: Binding): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of KEYS) {
    const v = (b as unknown as Record<string, unknown>)[k.field];
    const j = k.json ? k.json(v) : k.kind === 'text' ? k.format(v) || undefined : v;
    if (j !== undefined) out[argName(k)] = j;
  }
  for (const f of FAMILIES) {
    for (const o of (b as unknown as Record<string, OptionSettings>)[f.field]!) out[memberKey(f, o.code, true)] = optionSettingText(o);
  }
  return out;
}
