/**
 * The words of a yes/no value, one table for the configuration file's
 * booleans (config/values.ts bool), the binding files' switches and flags
 * (bindings/binding-values.ts parseSwitch, parseFlag) and the man page that
 * lists them (docs/man-pages.ts). Lower case (values are compared lower-cased);
 * YES_WORDS[i] and NO_WORDS[i] are a pair.
 */
export const YES_WORDS: readonly string[] = ['yes', 'true', 'on', '1'];
export const NO_WORDS: readonly string[] = ['no', 'false', 'off', '0'];
