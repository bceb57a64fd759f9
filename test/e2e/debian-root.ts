/**
 * A throw-away Debian 12 root for the package test (debian-package.test.ts):
 * `debootstrap --variant=minbase bookworm` once per cache (a tarball under
 * ONLINKD_CI_CACHE, default /var/cache/onlinkd-ci, reused while present),
 * unpacked into a fresh directory per run. Commands run in it by chroot,
 * inside a private mount namespace (unshare -m) whose /proc and /dev mounts
 * go away with the command: nothing is ever mounted in the host's namespace,
 * and removal refuses a root that has a mount point under it.
 */
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { LAB_PATH } from './lab.js';

export const CACHE_DIR = process.env.ONLINKD_CI_CACHE ?? '/var/cache/onlinkd-ci';
const TARBALL = join(CACHE_DIR, 'bookworm.tar.gz');
/** apt's downloads, kept across runs like the tarball (bind-mounted as the root's /var/cache/apt/archives). */
const APT_ARCHIVES = join(CACHE_DIR, 'apt-archives');

export interface RunResult {
  code: number | null;
  out: string;
  timedOut: boolean;
}

/** Runs argv (no shell) with a hard bound, killing its process group when it expires. */
export function run(argv: readonly string[], timeoutMs: number, env: Record<string, string> = {}): Promise<RunResult> {
  return new Promise((resolve) => {
    const child = spawn(argv[0]!, argv.slice(1), { detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: { PATH: LAB_PATH, LANG: 'C', ...env } });
    let out = '';
    let timedOut = false;
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        /* gone */
      }
    }, timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      resolve({ code: null, out: `${out}\n${e.message}`, timedOut });
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, out, timedOut });
    });
  });
}

export async function runOk(argv: readonly string[], timeoutMs: number, env: Record<string, string> = {}): Promise<string> {
  const r = await run(argv, timeoutMs, env);
  if (r.code !== 0) throw new Error(`${argv.join(' ')}: ${r.timedOut ? `timed out after ${timeoutMs} ms` : `exit ${r.code}`}\n${r.out.slice(-4000)}`);
  return r.out;
}

/** The Debian mirror the host's apt uses (deb822 URIs: or a `deb URL bookworm` line), else deb.debian.org. */
export function hostMirror(): string {
  const files = ['/etc/apt/sources.list', ...(existsSync('/etc/apt/sources.list.d') ? readdirSync('/etc/apt/sources.list.d').map((f) => join('/etc/apt/sources.list.d', f)) : [])];
  for (const f of files.filter((x) => /(\.list|\.sources)$/.test(x) && existsSync(x))) {
    const text = readFileSync(f, 'utf8');
    const deb822 = /^URIs:\s*(\S+\/debian)\/?\s*$/m.exec(text);
    if (deb822 && /^Suites:.*\bbookworm\b/m.test(text)) return deb822[1]!;
    const line = /^deb\s+(?:\[[^\]]*\]\s+)?(\S+\/debian)\/?\s+bookworm\s/m.exec(text);
    if (line) return line[1]!;
  }
  return 'http://deb.debian.org/debian';
}

/** The cached minimal bookworm tarball, debootstrapped first when missing; how long that took (0: cached). */
export async function bookwormTarball(): Promise<{ path: string; ms: number }> {
  if (existsSync(TARBALL)) return { path: TARBALL, ms: 0 };
  const t0 = Date.now();
  mkdirSync(CACHE_DIR, { recursive: true });
  const dir = mkdtempSync(join(CACHE_DIR, 'debootstrap-'));
  try {
    await runOk(['debootstrap', '--variant=minbase', 'bookworm', dir, hostMirror()], 600_000);
    chmodSync(dir, 0o755);
    await runOk(['tar', '-C', dir, '-czf', `${TARBALL}.tmp`, '.'], 300_000);
    renameSync(`${TARBALL}.tmp`, TARBALL);
  } finally {
    await removeRoot(dir);
  }
  return { path: TARBALL, ms: Date.now() - t0 };
}

/** A fresh root from the tarball, in a new directory under /var/tmp (disk, not tmpfs). */
export async function unpackRoot(tarball: string): Promise<string> {
  const root = mkdtempSync('/var/tmp/onlinkd-bookworm-');
  await runOk(['tar', '-C', root, '-xzf', tarball], 300_000);
  chmodSync(root, 0o755); // mkdtemp's 0700 (also in older tarballs' ".") would keep the daemon's user out of its own root
  mkdirSync(APT_ARCHIVES, { recursive: true });
  return root;
}

/**
 * The shell prefix that mounts /proc, /sys and /dev in `root` inside the
 * current (private) mount namespace; `apt` adds the shared apt cache.
 */
export function mountScript(root: string, opts: { apt?: boolean } = {}): string {
  const q = (s: string) => `'${s.replaceAll("'", "'\\''")}'`;
  return [
    `mount -t proc proc ${q(`${root}/proc`)}`,
    `mount -t sysfs sysfs ${q(`${root}/sys`)}`,
    `mount --rbind /dev ${q(`${root}/dev`)}`,
    ...(opts.apt ? [`mount --bind ${q(APT_ARCHIVES)} ${q(`${root}/var/cache/apt/archives`)}`] : []),
  ].join(' && ');
}

/** `chroot root argv` in a private mount namespace with /proc, /sys, /dev (and apt's cache) mounted. */
export function inRoot(root: string, argv: readonly string[], timeoutMs: number, opts: { apt?: boolean } = {}): Promise<RunResult> {
  return run(['unshare', '--mount', '--propagation', 'private', 'sh', '-c', `${mountScript(root, opts)} && exec chroot "$0" "$@"`, root, ...argv],
    timeoutMs, { DEBIAN_FRONTEND: 'noninteractive', HOME: '/root' });
}

/** Removes a root, after checking that nothing is mounted under it (rm would reach the host's /dev). */
export async function removeRoot(root: string): Promise<void> {
  if (!existsSync(root)) return;
  const mounts = readFileSync('/proc/self/mountinfo', 'utf8').split('\n').map((l) => l.split(' ')[4] ?? '');
  const under = mounts.filter((m) => m === root || m.startsWith(`${root}/`));
  if (under.length) throw new Error(`refusing to remove ${root}: mounted under it: ${under.join(', ')}`);
  await runOk(['rm', '-rf', '--one-file-system', root], 120_000);
  rmSync(root, { recursive: true, force: true });
}
