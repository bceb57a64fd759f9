/**
 * Binding values as POSIX sh reads them (XCU §2.2 Quoting). Hooks source
 * binding files (`. /var/lib/nfdhcpd/tap10`), so a value means what sh makes
 * of it: onlinkd writes every value that is not plainly safe in single
 * quotes, a `'` inside as `'\''`, which sh reads back exactly and never
 * expands; the reader takes quoted values the way sh does and refuses what
 * sh would expand or split instead of guessing.
 */

export type ValueResult = { ok: true; value: string } | { ok: false; error: string };

/** Characters that make sh read a word other than as written: with none, a value is plain text. */
const SH_QUOTING = /['"\\$`]/;
const EXPANDS = 'a shell would expand an unquoted or double-quoted $ or ` (put the value in single quotes)';

/**
 * The value of `KEY=<text>` (`text` trimmed of blanks). Plain text (no quote,
 * backslash, `$` or backquote) is taken as it is, to the end of the line, as
 * nfdhcpd took it (`ROUTES=10.0.0.0/8 via 203.0.113.1` unquoted included).
 * Anything else is read as the one shell word sh would read: '...' literal,
 * "..." with \$ \` \" \\ escapes, \x outside quotes; what sh would expand
 * (`$`, backquote, `~`) or split (blanks, operators) outside single
 * quotes is refused with the reason, so onlinkd and a hook sourcing the file
 * never read different values.
 */
export function readValue(text: string): ValueResult {
  if (!SH_QUOTING.test(text)) return { ok: true, value: text };
  const bad = (error: string): ValueResult => ({ ok: false, error });
  let out = '';
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (c === "'") {
      const end = text.indexOf("'", i + 1);
      if (end < 0) return bad("unterminated ' quote (a value is one line)");
      out += text.slice(i + 1, end);
      i = end + 1;
    } else if (c === '"') {
      for (i++; ; ) {
        if (i >= text.length) return bad('unterminated " quote (a value is one line)');
        const d = text[i]!;
        if (d === '"') {
          i++;
          break;
        }
        // XCU §2.2.3: inside double quotes a backslash escapes only $ ` " \ (and newline).
        if (d === '\\' && i + 1 < text.length && '$`"\\'.includes(text[i + 1]!)) {
          out += text[i + 1];
          i += 2;
        } else if (d === '$' || d === '`') {
          return bad(EXPANDS);
        } else {
          out += d;
          i++;
        }
      }
    } else if (c === '\\') {
      if (i + 1 >= text.length) return bad('ends with a backslash (a value is one line)');
      out += text[i + 1];
      i += 2;
    } else if (c === '$' || c === '`') {
      return bad(EXPANDS);
    } else if (c === '~') {
      // Tilde expansion: at the start of an assignment's value and after an unquoted ':'.
      return bad('a shell would expand an unquoted ~ (put the value in single quotes)');
    } else if (c === ' ' || c === '\t' || ';&|<>()'.includes(c)) {
      return bad(`unquoted ${JSON.stringify(c)} next to quotes: a shell would split the value there (quote all of it)`);
    } else {
      out += c;
      i++;
    }
  }
  return { ok: true, value: out };
}

/** What sh takes unquoted in an assignment as itself (no expansion, splitting, tilde or globbing). */
const SH_SAFE = /^[A-Za-z0-9_.,:/@%+=-]+$/;

/** The value as a shell word that sh (and readValue) read back exactly. */
export function shellWord(v: string): string {
  return SH_SAFE.test(v) ? v : `'${v.replaceAll("'", "'\\''")}'`;
}
