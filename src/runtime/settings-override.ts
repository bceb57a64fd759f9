/**
 * The daemon's changes to loaded Settings, made as copies: Settings are
 * shared and compared by identity (the RA frame cache keys on `ipv6`, the
 * packet path reads them per frame), so they are replaced, never changed in
 * place. A copy keeps every untouched section (same object), so a cache
 * keyed on a section the change did not touch stays valid.
 */
import { withOverrides, type Settings } from '../config/config.js';

/** What onlinkd's command line overrides in the file: `--datapath`, `--control-socket` (a second instance needs no config edit). */
export interface CommandLineOverrides {
  readonly datapath?: string | undefined;
  readonly controlSocket?: string | undefined;
}

/** `settings` with the command line's overrides of `[general]`; the same object when they change nothing. */
export function withCommandLine(settings: Settings, cli: CommandLineOverrides): Settings {
  const general: { datapath?: string; controlSocket?: string } = {};
  if (cli.datapath !== undefined && cli.datapath !== settings.general.datapath) general.datapath = cli.datapath;
  if (cli.controlSocket !== undefined && cli.controlSocket !== settings.general.controlSocket) general.controlSocket = cli.controlSocket;
  return Object.keys(general).length === 0 ? settings : withOverrides(settings, { general });
}

/** `settings` with the state directory `datapath` (`onlinkd --datapath` overrides the file). */
export const withDatapath = (settings: Settings, datapath: string | undefined): Settings => withCommandLine(settings, { datapath });

/**
 * The settings a reload puts in force: `next` (the file read again, with the
 * command line's datapath), except what only a restart can change — the
 * state directory (the watcher and the server DUID are in it) and the
 * account onlinkd runs as (privileges are dropped once) and `[routing]`
 * (routes in place were made under it, and CAP_NET_ADMIN is kept or not at
 * the drop) — which stays as in `running`, with a warning.
 */
export function settingsForReload(next: Settings, running: Settings, log: { warn(obj: Record<string, unknown>, msg: string): void }): Settings {
  const { datapath, user, group } = running.general;
  const keepDatapath = next.general.datapath !== datapath;
  const keepAccount = next.general.user !== user || next.general.group !== group;
  if (keepDatapath) log.warn({ datapath: next.general.datapath }, 'datapath changes need a restart; keeping the current one');
  if (keepAccount) log.warn({ user: next.general.user, group: next.general.group }, '[general] user/group changes need a restart; keeping the current ones');
  const keepRouting = (Object.keys(running.routing) as Array<keyof Settings['routing']>).some((k) => next.routing[k] !== running.routing[k]);
  if (keepRouting) log.warn({ ...next.routing }, '[routing] changes need a restart; keeping the current ones');
  if (!keepDatapath && !keepAccount && !keepRouting) return next;
  return withOverrides(next, {
    general: { ...(keepDatapath ? { datapath } : {}), ...(keepAccount ? { user, group } : {}) },
    ...(keepRouting ? { routing: running.routing } : {}),
  });
}
