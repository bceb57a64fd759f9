/**
 * `onlinkd --control-socket PATH` (issue 16, item 7): a second instance
 * needs no config edit — the option overrides `[general] control_socket`
 * as `--datapath` overrides `datapath`, and a reload keeps it.
 */
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Lab, describeLab } from './lab.js';
import { ONLINKCTL as ONLINKCTL_PATH, Onlinkd } from './onlinkd.js';

describeLab('onlinkd --control-socket', () => {
  let lab: Lab;
  let d: Onlinkd;
  let other: string;

  beforeAll(async () => {
    lab = await Lab.create({ vms: [{ tap: 'tap16', mac: 'aa:00:00:00:00:16' }] });
    d = new Onlinkd(lab);
    other = lab.path('onlinkd', 'second.sock');
    await d.start('', ['--control-socket', other]); // the config file names d.socketPath
  });

  afterAll(async () => {
    await d?.stop();
    await lab?.destroy();
  });

  it('listens on the command line socket, not the file one, and keeps it across a reload', async () => {
    expect(existsSync(other)).toBe(true);
    expect(existsSync(d.socketPath)).toBe(false);
    const ctl = (args: string[]) => lab.exec('hv', [process.execPath, ONLINKCTL_PATH, '--socket', other, ...args]);
    const status = await ctl(['status']);
    expect(status.code, status.stderr).toBe(0);
    const reload = await ctl(['reload']);
    expect(reload.code, reload.stderr).toBe(0);
    expect((await ctl(['status'])).code).toBe(0);
    expect(existsSync(d.socketPath)).toBe(false);
  });
});
