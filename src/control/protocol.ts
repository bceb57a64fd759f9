/**
 * The control protocol: one JSON object per line over a Unix stream socket,
 * in the convention of ISC Kea's control channel.
 *
 *   request  {"command": "binding-get", "arguments": {"tap": "tap10"}}
 *   response {"result": 0, "text": "...", "arguments": {...}}
 *
 * result: 0 success, 1 error, 2 unsupported command, 3 not found.
 *
 * Everything a peer sends is checked with zod (the schemas here and each
 * command's, commands.ts) before any command runs,
 * and argument objects are strict: an unknown key is an error that names it
 * (a typo such as "ipv6" for "subnet6" must not be silently dropped).
 */
import { z } from 'zod';
import type { BindingAddArgs } from '../bindings/binding-args.js';
import { KEYS, argName, familyMember, type KeyKind } from '../bindings/schema.js';

export const RESULT_SUCCESS = 0;
export const RESULT_ERROR = 1;
export const RESULT_UNSUPPORTED = 2;
export const RESULT_NOT_FOUND = 3;
export type ResultCode = 0 | 1 | 2 | 3;

/** A request line longer than this (without its newline) is refused: the daemon never buffers more per connection. */
export const MAX_REQUEST_BYTES = 64 * 1024;

export interface ControlRequest {
  command: string;
  arguments?: Record<string, unknown>;
}

export interface ControlResponse {
  result: ResultCode;
  text: string;
  arguments?: Record<string, unknown>;
}

// ---- schemas ---------------------------------------------------------------

const argumentsObject = z.record(z.string(), z.unknown(), { error: 'must be a JSON object' });

export const requestSchema = z.strictObject(
  {
    command: z.string({ error: 'must be a string' }).min(1, { error: 'must not be empty' }).max(64, { error: 'too long' }),
    arguments: argumentsObject.optional(),
  },
  { error: 'a request must be a JSON object {"command": ..., "arguments": {...}}' },
);

export const responseSchema = z.object({
  result: z.union([z.literal(0), z.literal(1), z.literal(2), z.literal(3)]),
  text: z.string(),
  arguments: z.record(z.string(), z.unknown()).optional(),
});

/** zod error text that tells a missing key from a wrong type. */
const typeError = (wrong: string) => (iss: { input?: unknown }) => (iss.input === undefined ? 'missing (required)' : wrong);
const tapName = z.string({ error: typeError('must be a string (interface name)') });
const text = z.string({ error: typeError('must be a string') });
/** null and "" mean "unset", as an empty value does in a binding file. */
const optionalText = text.nullable().optional();
const flag = z.boolean({ error: 'must be true or false' }).nullable().optional();
const textOrList = z
  .union([text, z.array(text)], { error: 'must be a string or an array of strings' })
  .nullable()
  .optional();

export const tapArgsSchema = z.strictObject({ tap: tapName }, { error: 'arguments must be an object {"tap": ...}' });

export const noArgsSchema = z.strictObject({}, { error: 'arguments must be an object' });

export const listArgsSchema = z.strictObject(
  {
    /** Paging (Kea's reservation-get-page idea): start after this tap, return at most `limit`. */
    from: text.optional(),
    limit: z.number({ error: 'must be a number' }).int({ error: 'must be an integer' }).min(1).max(1_000_000).optional(),
  },
  { error: 'arguments must be an object' },
);

export const statsArgsSchema = z.strictObject({ tap: tapName.optional() }, { error: 'arguments must be an object' });

/** The JSON type of each kind of binding key (schema.ts); null and "" mean unset, as an empty value in a file. */
const BINDING_ARG: Record<KeyKind, z.ZodType> = {
  text: optionalText,
  number: z.union([z.number(), text], { error: 'must be a number (or a numeric string)' }).nullable().optional(),
  flag,
  switch: flag,
  list: textOrList,
};

/**
 * binding-add takes the binding-file keys in lower case (DESIGN.md "Names
 * that are fixed"), plus `tap`: the binding schema's keys. Only types are
 * checked here: values are validated by the binding builder itself
 * (bindings/binding-args.ts), so a file and a request can never disagree
 * about what is valid.
 */
const BINDING_SHAPE: Record<string, z.ZodType> = {
  tap: tapName,
  ...Object.fromEntries(KEYS.map((k) => [argName(k), k.required !== undefined ? text : BINDING_ARG[k.kind]])),
};

/**
 * Key-family members (`option_42`, schema.ts BINDING_FAMILIES) are not
 * fixed names, so the object takes any other key and this check keeps it
 * strict: a member must be a string (or null: unset), anything else is an
 * unknown key, reported as zod reports one. `when`: also when a fixed key
 * failed, so every problem is named at once.
 */
const familyMembers = z.superRefine<Record<string, unknown>>(
  (o, ctx) => {
    const unknown: string[] = [];
    for (const [k, v] of Object.entries(o)) {
      if (Object.prototype.hasOwnProperty.call(BINDING_SHAPE, k)) continue;
      if (!familyMember(k, true)) unknown.push(k);
      else if (v !== null && typeof v !== 'string') ctx.addIssue({ code: 'custom', path: [k], message: 'must be a string', input: v });
    }
    if (unknown.length) ctx.addIssue({ code: 'unrecognized_keys', keys: unknown, input: o });
  },
  { when: () => true },
);

export const bindingAddArgsSchema = z
  .object(BINDING_SHAPE, { error: 'arguments must be an object {"tap": ..., "mac": ..., ...}' })
  .catchall(z.unknown())
  .check(familyMembers) as unknown as z.ZodType<BindingAddArgs>;

export type { BindingAddArgs };

/** Argument keys of binding-add. */
export const BINDING_ADD_KEYS: readonly string[] = ['tap', ...KEYS.map(argName)];

/**
 * One readable line from zod issues: "arguments: unknown key \"ipv6\"",
 * "arguments.mtu: must be a number". The first three issues are enough to
 * fix a request; more would only be noise.
 */
export function formatIssues(issues: readonly z.core.$ZodIssue[], prefix: string): string {
  return issues
    .slice(0, 3)
    .map((i) => {
      const where = [prefix, ...i.path.map(String)].filter((p) => p !== '').join('.');
      if (i.code === 'unrecognized_keys') {
        const keys = i.keys.map((k) => JSON.stringify(k)).join(', ');
        return `${where || 'request'}: unknown key${i.keys.length > 1 ? 's' : ''} ${keys}`;
      }
      return `${where || 'request'}: ${i.message}`;
    })
    .join('; ');
}

export function success(text: string, args?: Record<string, unknown>): ControlResponse {
  return args === undefined ? { result: RESULT_SUCCESS, text } : { result: RESULT_SUCCESS, text, arguments: args };
}

export function failure(text: string, args?: Record<string, unknown>): ControlResponse {
  return args === undefined ? { result: RESULT_ERROR, text } : { result: RESULT_ERROR, text, arguments: args };
}

export function notFound(text: string): ControlResponse {
  return { result: RESULT_NOT_FOUND, text };
}

export function unsupported(text: string): ControlResponse {
  return { result: RESULT_UNSUPPORTED, text };
}

/** Serialises a response as one line (JSON never contains a raw newline). */
export function encodeResponse(r: ControlResponse): string {
  return `${JSON.stringify(r)}\n`;
}

export function encodeRequest(command: string, args?: Record<string, unknown>): string {
  const r: ControlRequest = args === undefined ? { command } : { command, arguments: args };
  return `${JSON.stringify(r)}\n`;
}
