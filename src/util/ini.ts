/**
 * A small INI reader that keeps line numbers, so configuration errors can
 * name file, line and key (the `ini` package drops them). Syntax accepted is
 * what nfdhcpd's configobj files use: `[section]`, `key = value`, full-line
 * comments with `#` or `;`, and inline `# comment` after a value.
 */

export interface IniEntry {
  section: string;
  key: string;
  value: string;
  line: number;
}

export class IniSyntaxError extends Error {
  constructor(
    readonly line: number,
    message: string,
  ) {
    super(message);
  }
}

const SECTION_RE = /^\[\s*([A-Za-z0-9_.-]+)\s*\]$/;
const ENTRY_RE = /^([A-Za-z0-9_.-]+)\s*=\s*(.*)$/;

/** Removes an inline comment: ` # ...` or ` ; ...` outside quotes. */
function stripInlineComment(value: string): string {
  let quote: string | undefined;
  for (let i = 0; i < value.length; i++) {
    const c = value[i]!;
    if (quote) {
      if (c === quote) quote = undefined;
    } else if (c === '"' || c === "'") {
      quote = c;
    } else if ((c === '#' || c === ';') && (i === 0 || /\s/.test(value[i - 1]!))) {
      return value.slice(0, i).trimEnd();
    }
  }
  return value.trimEnd();
}

function unquote(value: string): string {
  if (value.length >= 2 && (value[0] === '"' || value[0] === "'") && value.at(-1) === value[0]) {
    return value.slice(1, -1);
  }
  return value;
}

/** Parses INI text into entries in file order. Throws IniSyntaxError with a line number. */
export function parseIni(text: string): IniEntry[] {
  const entries: IniEntry[] = [];
  let section = '';
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!.trim();
    const line = i + 1;
    if (raw === '' || raw.startsWith('#') || raw.startsWith(';')) continue;
    const sec = SECTION_RE.exec(raw);
    if (sec) {
      section = sec[1]!.toLowerCase();
      continue;
    }
    const ent = ENTRY_RE.exec(raw);
    if (!ent) throw new IniSyntaxError(line, `cannot parse line: ${JSON.stringify(raw.slice(0, 80))}`);
    if (section === '') throw new IniSyntaxError(line, `key "${ent[1]}" outside of any [section]`);
    entries.push({ section, key: ent[1]!.toLowerCase(), value: unquote(stripInlineComment(ent[2]!)), line });
  }
  return entries;
}
