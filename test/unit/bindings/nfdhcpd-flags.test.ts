/**
 * PRIVATE=/MACSPOOF= (issue 16, item 8): nfdhcpd read any non-empty value as
 * set, onlinkd reads 0/no/false/off as unset. onlinkd keeps its reading and
 * says so when it loads such a file.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { parseBindingFile } from '../../../src/bindings/binding-file.js';
import { BindingDirectory } from '../../../src/bindings/directory.js';
import { BindingStore } from '../../../src/bindings/store.js';

const FILE = 'MAC=aa:00:00:00:00:10\nIP=203.0.113.10\nSUBNET=203.0.113.0/24\n';

describe('nfdhcpd flags read as unset', () => {
  it.each(['no', '0', 'false', 'OFF', '"no"'])('PRIVATE=%s: unset, with a note naming the line', (v) => {
    const r = parseBindingFile('tap10', `${FILE}PRIVATE=${v}\n`);
    if (!r.ok) throw r.error;
    expect(r.binding.private).toBe(false);
    expect(r.notes).toEqual([{ line: 4, key: 'PRIVATE', detail: `"${v.replaceAll('"', '')}" is read as unset here; nfdhcpd read any non-empty value as set` }]);
  });

  it('set values, empty values and absent keys give no note', () => {
    for (const text of [`${FILE}PRIVATE=yes\nMACSPOOF=1\n`, `${FILE}PRIVATE=\nMACSPOOF=\n`, FILE]) {
      const r = parseBindingFile('tap10', text);
      if (!r.ok) throw r.error;
      expect(r.notes).toBeUndefined();
    }
  });

  describe('binding directory', () => {
    let dir: string | undefined;
    let bd: BindingDirectory | undefined;
    afterEach(() => {
      bd?.close();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    it('logs a warning when it loads such a file, and loads it', async () => {
      dir = mkdtempSync(join(tmpdir(), 'onl16-flags-'));
      const logs: Array<Record<string, unknown>> = [];
      const log = pino({ level: 'debug' }, { write: (s: string) => void logs.push(JSON.parse(s)) });
      writeFileSync(join(dir, 'tap10'), `${FILE}MACSPOOF=no\n`);
      const store = new BindingStore();
      bd = new BindingDirectory(dir, store, log);
      await bd.start();
      expect(store.get('tap10')?.macspoof).toBe(false);
      const w = logs.find((l) => l.level === 40 && l.key === 'MACSPOOF');
      expect(w).toMatchObject({ tap: 'tap10', line: 4, msg: 'binding file reads differently from nfdhcpd: "no" is read as unset here; nfdhcpd read any non-empty value as set' });
    });
  });
});
