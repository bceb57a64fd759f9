/**
 * One version: debian/changelog's (the .deb's) is package.json's, and the
 * README's install command names that .deb.
 */
import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';

const read = (p: string) => readFileSync(new URL(`../../${p}`, import.meta.url), 'utf8');

it("debian/changelog, package.json and the README's apt install agree on the version", () => {
  const { version } = JSON.parse(read('package.json')) as { version: string };
  expect(/^onlinkd \(([^)]+)\)/.exec(read('debian/changelog'))?.[1]).toBe(version);
  expect(read('README.md')).toContain(`sudo apt install ./onlinkd_${version}_amd64.deb`);
});
