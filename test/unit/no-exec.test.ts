/**
 * Hardening (issue 6 item 4): nothing in the daemon executes a shell command
 * or another program, so no guest, binding-file or control-socket input can
 * ever become one. A static scan of every source file under src/ (the
 * TypeScript and the native addon's C) for the ways Node and libc start
 * processes or evaluate code.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SRC = fileURLToPath(new URL('../../src', import.meta.url));

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return files(p);
    return /\.(ts|c|h)$/.test(e.name) ? [p] : [];
  });
}

/** Comments removed (a comment may name what the code must not do). */
function code(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`\\])\/\/.*$/gm, '$1');
}

const TS_FORBIDDEN: Array<[string, RegExp]> = [
  ['child_process', /['"](node:)?child_process['"]/],
  ['node:vm', /['"](node:)?vm['"]/],
  ['eval', /(^|[^.\w])eval\s*\(/],
  ['new Function', /new\s+Function\s*\(/],
  ['process.binding', /process\.binding\s*\(/],
  ['process.dlopen', /process\.dlopen\s*\(/],
];

const C_FORBIDDEN: Array<[string, RegExp]> = [
  ['exec/spawn/fork/system/popen', /\b(system|popen|execl|execlp|execle|execv|execvp|execvpe|execve|execveat|fexecve|fork|vfork|clone|clone3|posix_spawnp?)\s*\(/],
];

describe('no process execution in the daemon', () => {
  const all = files(SRC);

  it('scans the whole source tree', () => {
    expect(all.some((f) => f.endsWith('daemon.ts'))).toBe(true);
    expect(all.some((f) => f.endsWith('native/module.c'))).toBe(true);
  });

  it('no TypeScript file starts a process or evaluates code', () => {
    const hits: string[] = [];
    for (const f of all.filter((x) => x.endsWith('.ts'))) {
      const text = code(readFileSync(f, 'utf8'));
      for (const [what, re] of TS_FORBIDDEN) if (re.test(text)) hits.push(`${relative(SRC, f)}: ${what}`);
    }
    expect(hits).toEqual([]);
  });

  it('the native addon neither forks nor execs', () => {
    const hits: string[] = [];
    for (const f of all.filter((x) => /\.[ch]$/.test(x))) {
      const text = code(readFileSync(f, 'utf8'));
      for (const [what, re] of C_FORBIDDEN) {
        const m = re.exec(text);
        if (m) hits.push(`${relative(SRC, f)}: ${what} (${m[1]})`);
      }
    }
    expect(hits).toEqual([]);
  });

  it('the patterns do catch what they are meant to', () => {
    expect(TS_FORBIDDEN[0]![1].test(code(`import { spawn } from 'node:child_process';`))).toBe(true);
    expect(TS_FORBIDDEN[2]![1].test(code('const x = eval("1")'))).toBe(true);
    expect(TS_FORBIDDEN[2]![1].test(code('re.exec(s); evaluate(x)'))).toBe(false);
    expect(C_FORBIDDEN[0]![1].test(code('if (fork() == 0) execvp(argv[0], argv);'))).toBe(true);
    expect(C_FORBIDDEN[0]![1].test(code('/* never fork() here */ int x;'))).toBe(false);
  });
});
