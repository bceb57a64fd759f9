/**
 * Generated blocks in documentation: the text between `<!-- NAME:begin -->`
 * and `<!-- NAME:end -->` is written from a table in the code (the binding
 * keys, the configuration keys), so the README cannot drift from it; a test
 * compares each block with what its table generates.
 */

function markers(name: string): [string, string] {
  return [`<!-- ${name}:begin -->`, `<!-- ${name}:end -->`];
}

/** The text between the `name` markers of `doc` (undefined: no such block). */
export function generatedBlock(doc: string, name: string): string | undefined {
  const [begin, end] = markers(name);
  const from = doc.indexOf(begin);
  const to = doc.indexOf(end, from);
  if (from < 0 || to < 0) return undefined;
  return doc.slice(from + begin.length, to).replace(/^\n/, '').replace(/\n$/, '');
}

/** `doc` with the `name` block's content replaced by `content`; throws when the markers are missing. */
export function withGeneratedBlock(doc: string, name: string, content: string): string {
  const [begin, end] = markers(name);
  const from = doc.indexOf(begin);
  const to = doc.indexOf(end, from);
  if (from < 0 || to < 0) throw new Error(`no ${begin} … ${end} block`);
  return `${doc.slice(0, from + begin.length)}\n${content}\n${doc.slice(to)}`;
}
