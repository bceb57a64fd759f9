/**
 * roff for the man pages (man-pages.ts): escaping, the README-style inline
 * markup of the key tables' `doc` lines (backquotes) as bold, and the entries
 * of a `--help` text, so a man page shows what the program prints without a
 * second copy of it (man(7), groff_man(7)).
 */

/**
 * Plain text as roff: backslashes escaped, hyphens as `\-` (so options
 * copy-paste as ASCII), non-ASCII as groff's `\[uXXXX]` (no preconv needed),
 * and a line starting with `.` or `'` guarded with `\&` (else a request).
 */
export function roffText(s: string): string {
  let out = '';
  for (const ch of s.replaceAll('\\', '\\e')) {
    const cp = ch.codePointAt(0)!;
    if (ch === '-') out += '\\-';
    else if (cp > 0x7e) out += `\\[u${cp.toString(16).toUpperCase().padStart(4, '0')}]`;
    else out += ch;
  }
  return out.replace(/^([.'])/gm, '\\&$1');
}

/** A `doc` line: `code` spans in bold, the rest plain. */
export function roffDoc(s: string): string {
  return s
    .split('`')
    .map((part, i) => (i % 2 === 1 ? `\\fB${roffText(part)}\\fR` : roffText(part)))
    .join('');
}

/** `.TP` paragraph: a term (already roff) and its text (already roff). */
export const tp = (term: string, text: string): string => `.TP\n${term}\n${text}`;

/** One entry of a `--help` text: `  term   description` with indented continuation lines. */
export interface UsageEntry {
  readonly term: string;
  readonly text: string;
}

/**
 * The entries under `heading` (a line of its own ending in `:`) of a help
 * text, up to the next unindented line; `heading` undefined: every entry
 * of the text. An entry starts at a line indented by two to six spaces, its term
 * ends at the first run of two or more blanks; deeper-indented lines
 * continue its description.
 */
export function usageEntries(usage: string, heading?: string): UsageEntry[] {
  const lines = usage.split('\n');
  let i = heading === undefined ? 0 : lines.indexOf(heading) + 1;
  if (i === 0 && heading !== undefined) throw new Error(`no "${heading}" in the help text`);
  const out: { term: string; text: string[] }[] = [];
  for (; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.trim() === '') continue;
    if (!line.startsWith(' ')) {
      if (heading !== undefined) break;
      continue;
    }
    const entry = /^ {2,6}(\S(?:\S| (?! ))*)(?: {2,}(.*))?$/.exec(line);
    if (entry) out.push({ term: entry[1]!, text: entry[2] ? [entry[2]] : [] });
    else if (out.length > 0) out[out.length - 1]!.text.push(line.trim());
  }
  return out.map((e) => ({ term: e.term, text: e.text.join(' ').replace(/\s+/g, ' ') }));
}

/** A help-text term as roff: option names bold, their value placeholders (UPPER case) italic. */
export function roffTerm(term: string): string {
  return term
    .split(/(\s+|,\s*|\[|\]|\||\.\.\.)/)
    .map((w) => {
      if (w === '' || /^(\s+|,\s*|\[|\]|\||\.\.\.)$/.test(w)) return roffText(w);
      if (/^[A-Z][A-Z0-9_./=]*$/.test(w)) return `\\fI${roffText(w)}\\fR`;
      return `\\fB${roffText(w)}\\fR`;
    })
    .join('');
}
