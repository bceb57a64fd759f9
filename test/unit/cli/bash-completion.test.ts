/**
 * completions/onlinkctl.bash (issue 16, item 6), run in bash: the commands
 * it completes are exactly the ones onlinkctl accepts (the `case` labels of
 * plan() in onlinkctl-run.ts: derived, not copied), options come from
 * --help, and tap names from a daemon's binding-list on the --socket given.
 */
import { execFile } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../../../src/cli/onlinkctl-run.js';
import { ONLINKCTL, assertBuilt } from '../../e2e/onlinkd.js';

const SCRIPT = fileURLToPath(new URL('../../../completions/onlinkctl.bash', import.meta.url));
const RUN_SOURCE = fileURLToPath(new URL('../../../src/cli/onlinkctl-run.ts', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'onl16-compl-'));
const sock = join(dir, 'control.sock');
const server = net.createServer((c) => {
  c.once('data', (d) => {
    const req = JSON.parse(String(d).split('\n')[0]!) as { command: string };
    const bindings = req.command === 'binding-list' ? [{ tap: 'tap7', mac: 'aa:00:00:00:00:07', ip: '203.0.113.7' }, { tap: 'vm-eth0', mac: 'aa:00:00:00:00:08' }] : [];
    c.end(`${JSON.stringify({ result: 0, text: 'ok', arguments: { count: bindings.length, total: bindings.length, bindings } })}\n`);
  });
});

beforeAll(async () => {
  assertBuilt();
  // `onlinkctl` on PATH, as the package installs it.
  writeFileSync(join(dir, 'onlinkctl'), `#!/bin/sh\nexec ${JSON.stringify(process.execPath)} ${JSON.stringify(ONLINKCTL)} "$@"\n`);
  chmodSync(join(dir, 'onlinkctl'), 0o755);
  await new Promise<void>((r) => server.listen(sock, r));
});
afterAll(() => {
  server.close();
  rmSync(dir, { recursive: true, force: true });
});

/** COMPREPLY for the words typed so far (the last one is being completed). */
async function complete(...words: string[]): Promise<string[]> {
  const quoted = words.map((w) => `'${w}'`).join(' ');
  const script = `source ${SCRIPT}\nCOMP_WORDS=(${quoted})\nCOMP_CWORD=${words.length - 1}\n_onlinkctl\nprintf '%s\\n' "\${COMPREPLY[@]}"`;
  const { stdout } = await promisify(execFile)('bash', ['-c', script], { env: { PATH: `${dir}:${process.env.PATH}` }, timeout: 20_000 });
  return stdout.split('\n').filter((l) => l !== '');
}

/** The commands plan() accepts: its case labels. */
function cliCommands(): string[] {
  const src = readFileSync(RUN_SOURCE, 'utf8');
  const body = src.slice(src.indexOf('function plan('), src.indexOf('function exitFor('));
  return [...body.matchAll(/^\s*case '([a-z-]+)':/gm)].map((m) => m[1]!);
}

describe('bash completion for onlinkctl', () => {
  it("completes exactly the CLI's commands", async () => {
    const commands = cliCommands();
    expect(commands).toContain('watch');
    expect((await complete('onlinkctl', '')).sort()).toEqual([...commands].sort());
    // Each is one onlinkctl knows (a usage error may follow for missing arguments, never "unknown command").
    // watch streams (its own client, onlinkctl-watch.ts): not run here.
    for (const c of commands.filter((x) => x !== 'watch')) {
      let err = '';
      await run([c, '--timeout', '200'], { stdout: () => undefined, stderr: (s) => void (err += s), env: { ONLINKD_SOCKET: join(dir, 'none.sock') } });
      expect(err).not.toMatch(/unknown command/);
    }
    expect(await complete('onlinkctl', 'un')).toEqual(['unbind']);
  });

  it('completes options from --help', async () => {
    const opts = await complete('onlinkctl', '--');
    expect(opts).toEqual(expect.arrayContaining(['--socket', '--json', '--timeout', '--help', '--mac', '--ip']));
    expect(await complete('onlinkctl', 'bind', 'tap1', '--ma')).toEqual(['--mac', '--macspoof']);
  });

  it("completes tap names from the daemon's binding list, for the commands that take a TAP", async () => {
    expect(await complete('onlinkctl', '--socket', sock, 'show', '')).toEqual(['tap7', 'vm-eth0']);
    expect(await complete('onlinkctl', '-s', sock, 'unbind', 'vm')).toEqual(['vm-eth0']);
    expect(await complete('onlinkctl', '--socket', sock, 'reload', '')).toEqual([]);
    // No daemon: nothing, and no error.
    expect(await complete('onlinkctl', '--socket', join(dir, 'none.sock'), 'show', '')).toEqual([]);
  });
});
