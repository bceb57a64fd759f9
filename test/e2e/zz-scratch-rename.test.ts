import { afterAll, beforeAll, expect, it } from 'vitest';
import { request } from '../../src/control/client.js';
import { Lab, describeLab, sleep } from './lab.js';
import { Onlinkd } from './onlinkd.js';
import { ensureTool, probe } from './hardening-util.js';

describeLab('scratch rename', () => {
  let lab: Lab;
  let d: Onlinkd;
  beforeAll(async () => {
    ensureTool('olkprobe');
    lab = await Lab.create({ vms: [{ tap: 'ch1', mac: 'aa:00:00:00:00:31' }] });
    d = new Onlinkd(lab);
    d.writeBinding('ch1', 'MAC=aa:00:00:00:00:31\nIP=198.51.100.31\nSUBNET=198.51.100.0/24\n');
    await d.start();
  });
  afterAll(async () => {
    await d?.stop();
    await lab?.destroy();
  });
  it('rename loop', async () => {
    const fails: unknown[] = [];
    for (let i = 0; i < Number(process.env.N ?? 100); i++) {
      await lab.run('hv', ['ip', 'link', 'set', 'dev', 'ch1', 'down']);
      await lab.run('hv', ['ip', 'link', 'set', 'dev', 'ch1', 'name', 'rn1']);
      await lab.run('hv', ['ip', 'link', 'set', 'dev', 'rn1', 'up']);
      await lab.run('hv', ['ip', 'link', 'set', 'dev', 'rn1', 'down']);
      await lab.run('hv', ['ip', 'link', 'set', 'dev', 'rn1', 'name', 'ch1']);
      await lab.run('hv', ['ip', 'link', 'set', 'dev', 'ch1', 'up']);
      for (let k = 0; k < 500; k++) {
        const r = await request(d.socketPath, 'binding-get', { tap: 'ch1' });
        if ((r.arguments as { state: string }).state === 'attached') break;
        await sleep(5);
      }
      const [a] = await probe(lab, 'ch1', 'dhcp', ['aa:00:00:00:00:31'], 2000);
      if (!a!.answered) {
        fails.push(i);
        const [b] = await probe(lab, 'ch1', 'dhcp', ['aa:00:00:00:00:31'], 2000);
        console.log('FAIL', i, 'retry answered', b!.answered, d.process.stdoutLines.slice(-15).join('\n'));
        break;
      }
    }
    expect(fails).toEqual([]);
  }, 600_000);
});
