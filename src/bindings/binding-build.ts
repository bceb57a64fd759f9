/**
 * Builds a Binding from the text of its keys, whatever they came from (a
 * binding file's lines, binding-add's arguments): each key parsed by the
 * schema, then the rules between keys, then frozen. One builder, so a file
 * and a request can never disagree about what is valid, and the error names
 * the same key and reason.
 */
import { deepFreeze } from '../util/frozen.js';
import type { Binding } from './binding.js';
import { Invalid } from './binding-values.js';
import { BINDING_RULES, FAMILIES, KEYS, TAP_NAME, type AnyBindingKey, type BindingFields, type BindingKeyFamily } from './schema.js';
import { optionSettings, parseOptionSetting, type OptionSetting } from '../protocols/option-settings.js';

export class BindingParseError extends Error {
  constructor(
    readonly line: number | undefined,
    readonly key: string | undefined,
    readonly detail: string,
  ) {
    super(`${line !== undefined ? `line ${line}: ` : ''}${key ? `${key}: ` : ''}${detail}`);
  }
}

/** A file that parses but reads differently from nfdhcpd (binding-file.ts): logged as a warning, never refused. */
export interface BindingNote {
  line: number | undefined;
  key: string;
  detail: string;
}

export type BindingParseResult = { ok: true; binding: Binding; notes?: readonly BindingNote[] } | { ok: false; error: BindingParseError };

/** A key's text and, from a file, its line. */
export interface KeyText {
  value: string;
  line?: number | undefined;
}

/** Schema keys by binding-file name. */
export const KEY_BY_FILE: ReadonlyMap<string, AnyBindingKey> = new Map(KEYS.map((k) => [k.file, k]));

/**
 * What is wrong with a value before its key parses it, or undefined: a
 * value is one line of valid text, and (but for free text and unknown keys)
 * is checked in the form it is stored, so an address with a quoted blank
 * around it never passes a trimming check and then fails every reply.
 */
export function valueProblem(value: string, key: AnyBindingKey | undefined): string | undefined {
  // A line break would end the line (and sh's word with it): a value is one line. Tabs pass (quoted).
  if (/[\x00-\x08\x0a-\x1f\x7f]/.test(value)) return 'value contains a control character (CR, NUL, ...): a binding file has one KEY=VALUE per line';
  // A lone surrogate (possible in a binding-add request) would be written as U+FFFD and read back different.
  if (/\p{Cs}/u.test(value)) return 'value is not valid Unicode text';
  return key && !key.freeText ? blanksAround(value) : undefined;
}

/** Blanks around a value that is not free text: refused, not trimmed (see valueProblem). */
function blanksAround(value: string): string | undefined {
  return /^\s|\s$/.test(value) ? `${JSON.stringify(value)} has white space around it` : undefined;
}

/** The members of a key family that are set: code as written → its text. */
export type FamilyTexts = ReadonlyMap<BindingKeyFamily, ReadonlyMap<string, KeyText>>;

/** A family's members parsed into settings, or the first member (in code order) that does not parse. */
function familySettings(f: BindingKeyFamily, texts: ReadonlyMap<string, KeyText> | undefined): { ok: true; list: OptionSetting[] } | { ok: false; line: number | undefined; key: string; detail: string } {
  const list: OptionSetting[] = [];
  const entries = [...(texts ?? [])].filter(([, t]) => t.value !== '').sort(([a], [b]) => Number(a) - Number(b));
  for (const [codeText, t] of entries) {
    const key = `${f.prefix}${codeText}`;
    if (!/^(0|[1-9]\d*)$/.test(codeText)) return { ok: false, line: t.line, key, detail: 'write the code without leading zeros' };
    // As for any key but free text: the value is checked in the form it is stored.
    const blanks = blanksAround(t.value);
    if (blanks !== undefined) return { ok: false, line: t.line, key, detail: blanks };
    const r = parseOptionSetting(f.catalog, Number(codeText), t.value);
    if (!r.ok) return { ok: false, line: t.line, key, detail: r.error };
    list.push(r.setting);
  }
  return { ok: true, list };
}

/**
 * The binding of `tap` whose keys have the text `read(FILE_KEY)` gives
 * (undefined or '' = unset), and whose key families the texts in
 * `families`, with `extra` as its unknown keys. `tap` is assumed valid
 * (the caller checked the name).
 */
export function buildBinding(
  tap: string,
  read: (file: string) => KeyText | undefined,
  extra: Record<string, string>,
  families: FamilyTexts = new Map(),
): BindingParseResult {
  const fail = (line: number | undefined, key: string, detail: string): BindingParseResult => ({
    ok: false,
    error: new BindingParseError(line, key, detail),
  });
  const b: Record<string, unknown> = { tap };
  for (const k of KEYS) {
    const t = read(k.file);
    if (t === undefined || t.value === '') {
      if (k.required !== undefined) return fail(undefined, k.file, k.required);
      b[k.field] = k.unset === TAP_NAME ? tap : k.unset;
      continue;
    }
    const v: unknown = k.parse(t.value);
    if (v instanceof Invalid) return fail(t.line, k.file, v.detail);
    b[k.field] = v;
  }
  for (const f of FAMILIES) {
    const r = familySettings(f, families.get(f));
    if (!r.ok) return fail(r.line, r.key, r.detail);
    b[f.field] = optionSettings(r.list);
  }
  for (const rule of BINDING_RULES) {
    const detail = rule.check(b as unknown as BindingFields);
    if (detail !== undefined) return fail(read(rule.at)?.line, rule.key, detail);
  }
  b.extra = extra;
  return { ok: true, binding: deepFreeze(b) as unknown as Binding };
}
