/**
 * Reading the configuration file. The path is the operator's choice, so a
 * symbolic link is followed; but only a regular file of at most
 * MAX_CONFIG_FILE_SIZE bytes is read (util/read-limited.ts): a FIFO must not
 * hang start-up or a SIGHUP reload, nor /dev/zero eat memory.
 */
import { readLimitedSync } from '../util/read-limited.js';
import { ConfigError } from './config-error.js';
import { defaultSettings, parseConfig } from './parse.js';
import type { Settings } from './settings.js';

export const DEFAULT_CONFIG_PATH = '/etc/onlinkd/onlinkd.conf';

/** Far more than any real configuration (the documented example is a few KiB). */
export const MAX_CONFIG_FILE_SIZE = 1024 * 1024;

/** Loads the config file; with no path and no default file present, embedded defaults apply. */
export function loadConfig(path: string | undefined): { settings: Settings; source: string } {
  const file = path ?? DEFAULT_CONFIG_PATH;
  let r;
  try {
    r = readLimitedSync(file, MAX_CONFIG_FILE_SIZE + 1, { followLinks: true });
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (path === undefined && err.code === 'ENOENT') return { settings: defaultSettings(), source: '<embedded defaults>' };
    throw new ConfigError(file, undefined, undefined, `cannot read: ${err.message}`);
  }
  if (r === undefined) throw new ConfigError(file, undefined, undefined, 'cannot read: not a regular file (a FIFO, device, socket or directory)');
  if (r.size > MAX_CONFIG_FILE_SIZE) throw new ConfigError(file, undefined, undefined, `cannot read: larger than ${MAX_CONFIG_FILE_SIZE} bytes`);
  return { settings: parseConfig(r.text, file), source: file };
}
