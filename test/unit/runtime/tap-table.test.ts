/**
 * TapTable: the join of bindings (by name) and links (by ifindex), kept in
 * maps both ways. A tap deleted and recreated under a new index, renamed
 * away, or a binding removed must leave no mapping behind in either.
 */
import { EventEmitter } from 'node:events';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { parseBindingFile } from '../../../src/bindings/binding-file.js';
import { BindingStore } from '../../../src/bindings/store.js';
import { TapTable, type LinkInfo, type LinkSource } from '../../../src/runtime/tap-table.js';

class Links extends EventEmitter implements LinkSource {
  readonly #byIndex = new Map<number, LinkInfo>();
  byName(name: string) {
    return [...this.#byIndex.values()].find((l) => l.name === name);
  }
  byIndex(i: number) {
    return this.#byIndex.get(i);
  }
  links() {
    return this.#byIndex.values();
  }
  add(ifindex: number, name: string): void {
    const l = { ifindex, name, mac: 'fe:00:00:00:00:01', up: true, running: true };
    for (const [i, old] of this.#byIndex) if (old.name === name && i !== ifindex) this.#byIndex.delete(i);
    this.#byIndex.set(ifindex, l);
    this.emit('link', l);
  }
  del(ifindex: number): void {
    const l = this.#byIndex.get(ifindex)!;
    this.#byIndex.delete(ifindex);
    this.emit('unlink', l);
  }
}

const binding = (tap: string) => {
  const r = parseBindingFile(tap, 'MAC=aa:00:00:00:00:10\n');
  if (!r.ok) throw r.error;
  return r.binding;
};

describe('TapTable', () => {
  it('follows a tap recreated under a new index, renamed away, and a binding removed', () => {
    const store = new BindingStore();
    const links = new Links();
    const taps = new TapTable(store, links, pino({ level: 'silent' }));
    const events: string[] = [];
    taps.on('attached', (t) => events.push(`attached ${t.binding.tap}@${t.link.ifindex}`));
    taps.on('detached', (b, i) => events.push(`detached ${b.tap}@${i}`));

    store.set(binding('tap1')); // waits for its tap
    expect(taps.byName('tap1')).toBeUndefined();
    links.add(5, 'tap1');
    expect(taps.byName('tap1')?.link.ifindex).toBe(5);
    expect(taps.lookup(5)?.binding.tap).toBe('tap1');

    links.del(5); // deleted ...
    links.add(9, 'tap1'); // ... and recreated
    expect(taps.lookup(5)).toBeUndefined();
    expect(taps.byName('tap1')?.link.ifindex).toBe(9);

    links.add(9, 'other'); // renamed away: index 9 no longer reaches tap1's binding
    expect(taps.lookup(9)).toBeUndefined();
    expect(taps.byName('tap1')).toBeUndefined();

    links.add(9, 'tap1'); // and back
    store.remove('tap1');
    expect(taps.byName('tap1')).toBeUndefined();
    expect(taps.lookup(9)).toBeUndefined();
    expect(taps.attachedCount).toBe(0);
    expect(events).toEqual(['attached tap1@5', 'detached tap1@5', 'attached tap1@9', 'detached tap1@9', 'attached tap1@9', 'detached tap1@9']);
  });

  it('finds each of thousands of bound taps by name', () => {
    const store = new BindingStore();
    const links = new Links();
    const taps = new TapTable(store, links, pino({ level: 'silent' }));
    for (let i = 0; i < 4096; i++) links.add(100 + i, `tap${i}`);
    for (let i = 0; i < 4096; i++) store.set(binding(`tap${i}`));
    expect(taps.attachedCount).toBe(4096);
    for (let i = 0; i < 4096; i += 97) expect(taps.byName(`tap${i}`)?.link.ifindex).toBe(100 + i);
  });
});
