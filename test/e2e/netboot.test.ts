/**
 * Network boot end to end (issue 13, item 2): the real iPXE firmware of
 * Debian's ipxe-qemu, run by QEMU (TCG, SeaBIOS, virtio-net) on a real tap
 * of the hypervisor namespace, gets its lease from onlinkd and boots the
 * script onlinkd names; a test HTTP server in the hypervisor namespace
 * serves the script and records the fetch the script makes (the proof it
 * ran). The ROM is iPXE itself (it sends user class 77 "iPXE" and option
 * 175), so it must get IPXE_BOOTFILE: BOOTFILE names a script that would
 * be fetched only if onlinkd sent the wrong one (what a chainload loop
 * looks like). The PXE branches (BIOS and UEFI by option 93), which no
 * firmware shipped here exercises, are answered to scapy probes shaped like
 * a PXE ROM's DISCOVER; BOOTFILE6 to dhclient -6 asking for option 59.
 *
 * Time: a TCG boot to the script takes about 20 s here (2 shared cores); the test is bounded
 * at 120 s and QEMU is killed by its process group in afterAll.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { dhclient6Inform, dhcpProbe } from './clients.js';
import { Lab, describeLab, sleep, type Capture, type LabProcess } from './lab.js';
import { Onlinkd, bindingText } from './onlinkd.js';
import { peekDhcp4, type Dhcp4Peek } from '../helpers/frame-peek.js';
import { writePcap } from '../helpers/pcap.js';

const HTTP_TOOL = new URL('./tools/netboot-http.mjs', import.meta.url).pathname;
/** The combined BIOS+UEFI ROM QEMU loads for virtio-net-pci by default; SeaBIOS runs its BIOS image. */
const ROM = '/usr/lib/ipxe/qemu/efi-virtio.rom';

const HV = '203.0.113.1';
const PORT = 8080;
const BASE = `http://${HV}:${PORT}`;
const QEMU_TAP = 'tap30';
const QEMU_MAC = 'aa:00:00:00:00:30';
const PROBE_TAP = 'tap31';
const PROBE_MAC = 'aa:00:00:00:00:31';

const BOOTFILE = `${BASE}/loop.ipxe`;
const IPXE_BOOTFILE = `${BASE}/boot.ipxe`;
const PXE_BOOTFILE = 'undionly.kpxe';
const PXE_BOOTFILE_EFI = 'ipxe.efi';
const BOOTFILE6 = 'http://[2001:db8:31::1]:8080/boot.ipxe';

/** The script the ROM must run: it reports what it was given, then reboots (QEMU runs with -no-reboot, so it exits). */
const BOOT_SCRIPT = [
  '#!ipxe',
  'echo onlinkd netboot script running',
  `imgfetch ${BASE}/proof/\${net0/mac:hexhyp}/\${next-server}/\${filename:uristring} || echo proof fetch failed`,
  'reboot',
].join('\n') + '\n';
/** What the ROM would run had it been given BOOTFILE: recorded, and it stops the VM at once. */
const LOOP_SCRIPT = `#!ipxe\nimgfetch ${BASE}/proof/loop || echo\nreboot\n`;

const ASCII = new TextDecoder('latin1');

describeLab(
  'network boot: real iPXE firmware in QEMU, PXE probes, DHCPv6 boot file',
  () => {
    let lab: Lab;
    let d: Onlinkd;
    let http: LabProcess;
    let capture: Capture;
    let qemu: LabProcess | undefined;

    const probe = (req: Record<string, unknown>) => dhcpProbe(lab, PROBE_TAP, req);

    /**
     * The proof request's line, polled until it comes, QEMU exits, or the console says iPXE gave up (no
     * point waiting out the bound then); otherwise an error with the DHCP seen and the console's tail.
     */
    async function waitForProof(serial: string, timeoutMs: number): Promise<string> {
      const deadline = Date.now() + timeoutMs;
      const screen = (): string => (existsSync(serial) ? ASCII.decode(readFileSync(serial)).replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '') : '');
      let why = `no proof after ${timeoutMs} ms`;
      for (;;) {
        const line = http.stdoutLines.find((l) => l.includes('/proof/'));
        if (line) return line;
        if (qemu?.exitStatus) why = `QEMU exited (${JSON.stringify(qemu.exitStatus)}) without the proof`;
        else if (/No more network devices|No bootable device/.test(screen())) why = 'iPXE gave up';
        else if (Date.now() < deadline) {
          await sleep(250);
          continue;
        }
        const seen = capture.frames().map(peekDhcp4).filter((m) => m).map((m) => `${m!.op === 1 ? 'client' : 'server'} type ${m!.messageType} siaddr ${m!.siaddr} file ${JSON.stringify(m!.file)}`);
        throw new Error(`${why}; HTTP requests: ${JSON.stringify(fetched())}\n--- DHCP seen on ${QEMU_TAP}\n${seen.join('\n')}\n--- serial console (tail)\n${screen().slice(-3000)}`);
      }
    }

    const fetched = (): string[] => http.stdoutLines.filter((l) => l.startsWith('{')).map((l) => (JSON.parse(l) as { url: string }).url);

    beforeAll(async () => {
      if (!existsSync(ROM)) throw new Error(`${ROM} is missing (Debian: ipxe-qemu)`);
      lab = await Lab.create({ vms: [{ tap: PROBE_TAP, mac: PROBE_MAC }] });
      // A real tap (QEMU's -netdev tap), not a veth: created in the hypervisor namespace, quiet like the lab's.
      await lab.run('hv', ['ip', 'tuntap', 'add', 'dev', QEMU_TAP, 'mode', 'tap']);
      await lab.sysctl('hv', { [`net/ipv6/conf/${QEMU_TAP}/addr_gen_mode`]: 1, [`net/ipv6/conf/${QEMU_TAP}/accept_ra`]: 0 });
      // The hypervisor's own address on the tap: server identifier (GATEWAY), next server and HTTP server.
      await lab.run('hv', ['ip', 'addr', 'add', `${HV}/24`, 'dev', QEMU_TAP]);
      await lab.run('hv', ['ip', 'link', 'set', QEMU_TAP, 'up']);

      d = new Onlinkd(lab);
      d.writeBinding(QEMU_TAP, bindingText({
        mac: QEMU_MAC, ip: '203.0.113.30',
        extra: [`BOOTFILE=${BOOTFILE}`, `IPXE_BOOTFILE=${IPXE_BOOTFILE}`, `NEXT_SERVER=${HV}`].join('\n'),
      }));
      d.writeBinding(PROBE_TAP, bindingText({
        mac: PROBE_MAC, ip: '203.0.113.31',
        extra: [
          `BOOTFILE=${PXE_BOOTFILE}`, `BOOTFILE_EFI=${PXE_BOOTFILE_EFI}`, `IPXE_BOOTFILE=${IPXE_BOOTFILE}`, `NEXT_SERVER=${HV}`,
          'SUBNET6=2001:db8:31::/64', 'GATEWAY6=2001:db8:31::1', 'EUI64=2001:db8:31::a800:ff:fe00:31', `BOOTFILE6=${BOOTFILE6}`,
        ].join('\n'),
      }));
      await d.start();

      http = lab.spawn('hv', [process.execPath, HTTP_TOOL, String(PORT), JSON.stringify({ '/boot.ipxe': BOOT_SCRIPT, '/loop.ipxe': LOOP_SCRIPT })]);
      await http.waitForLine(/^listening/, { timeoutMs: 10_000 });
      capture = await lab.tcpdump('hv', QEMU_TAP, 'udp port 67 or udp port 68', lab.path('netboot.pcap'));
    });

    afterAll(async () => {
      await qemu?.kill(1_000);
      await capture?.stop();
      await d?.stop();
      await lab?.destroy();
    });

    it('the iPXE ROM gets IPXE_BOOTFILE and NEXT_SERVER from onlinkd, fetches the script over HTTP and runs it', { timeout: 120_000 }, async () => {
      const serial = lab.path('serial.txt');
      const started = Date.now();
      qemu = lab.spawn('hv', [
        'qemu-system-x86_64', '-accel', 'tcg', '-m', '128', '-nographic', '-monitor', 'none', '-no-reboot', '-boot', 'n',
        '-serial', `file:${serial}`,
        '-netdev', `tap,id=n0,ifname=${QEMU_TAP},script=no,downscript=no`,
        // No romfile=: QEMU's default for virtio-net-pci is ROM (strace shows it open); naming it explicitly
        // (same file) leaves SeaBIOS without a network boot entry on QEMU 7.2.
        '-device', `virtio-net-pci,netdev=n0,mac=${QEMU_MAC}`,
      ]);
      const proof = await waitForProof(serial, 90_000);
      const exited = await qemu.waitExit(20_000);
      const bootMs = Date.now() - started;
      process.stderr.write(`netboot: iPXE fetched its proof after ${bootMs} ms (QEMU ${exited ? 'exited' : 'still running'})\n`);
      const url = (JSON.parse(proof) as { url: string }).url;
      // The script ran with what onlinkd sent: its MAC, siaddr and the iPXE boot file.
      const prefix = `/proof/aa-00-00-00-00-30/${HV}/`;
      expect(url.startsWith(prefix), url).toBe(true);
      expect(decodeURIComponent(url.slice(prefix.length))).toBe(IPXE_BOOTFILE); // iPXE's uristring leaves '/' as is

      expect(fetched()).toContain('/boot.ipxe');
      expect(fetched()).not.toContain('/loop.ipxe');
      expect(exited).not.toBeNull(); // the script's reboot ends QEMU (-no-reboot)

      await capture.stop();
      const dhcp = capture.frames().map((f) => ({ f, m: peekDhcp4(f) })).filter((x): x is { f: Uint8Array; m: Dhcp4Peek } => !!x.m);
      const fromClient = dhcp.filter((x) => x.m.op === 1 && x.m.chaddr === QEMU_MAC);
      const discover = fromClient.find((x) => x.m.messageType === 1);
      expect(discover, 'a DHCPDISCOVER from the ROM').toBeDefined();
      if (process.env.OLK_NETBOOT_FIXTURE) writeFileSync(process.env.OLK_NETBOOT_FIXTURE, writePcap([{ tsSec: 0, tsUsec: 0, origLen: discover!.f.length, data: discover!.f }]));
      // What makes it iPXE (so IPXE_BOOTFILE): user class "iPXE" and option 175; and BIOS (option 93 = 0).
      const d0 = discover!.m.options;
      expect(ASCII.decode(d0.get(77))).toContain('iPXE');
      expect(d0.has(175)).toBe(true);
      expect([...(d0.get(93) ?? [])]).toEqual([0, 0]);

      const replies = dhcp.filter((x) => x.m.op === 2 && x.m.chaddr === QEMU_MAC);
      const types = replies.map((x) => x.m.messageType);
      expect(types).toContain(2); // OFFER
      expect(types).toContain(5); // ACK
      const asked67 = [...(d0.get(55) ?? [])].includes(67);
      for (const { m } of replies.filter((x) => x.m.messageType === 2 || x.m.messageType === 5)) {
        expect(m.yiaddr).toBe('203.0.113.30');
        expect(m.siaddr).toBe(HV);
        expect(m.file).toBe(IPXE_BOOTFILE);
        expect(m.options.has(67)).toBe(asked67);
        if (asked67) expect(ASCII.decode(m.options.get(67))).toBe(IPXE_BOOTFILE);
      }
    });

    it('a PXE BIOS DISCOVER (option 93 = 0) gets BOOTFILE, siaddr, and 66/67 as asked', async () => {
      const r = await probe({
        xid: 0x5e000001,
        options: [[60, Buffer.from('PXEClient:Arch:00000:UNDI:002001').toString('hex')], [93, '0000'], [94, '010201'], [55, '0103064243']],
      });
      expect(r).not.toBeNull();
      expect(r!.siaddr).toBe(HV);
      expect(r!.file).toBe(PXE_BOOTFILE);
      expect(Buffer.from(r!.options['67'] ?? '', 'hex').toString('latin1')).toBe(PXE_BOOTFILE);
      expect(Buffer.from(r!.options['66'] ?? '', 'hex').toString('latin1')).toBe(HV);
    });

    it('a PXE UEFI x64 DISCOVER (option 93 = 7) gets BOOTFILE_EFI; without 66/67 in its list, only siaddr and file', async () => {
      const r = await probe({
        xid: 0x5e000002,
        options: [[60, Buffer.from('PXEClient:Arch:00007:UNDI:003016').toString('hex')], [93, '0007'], [94, '010300'], [55, '010306']],
      });
      expect(r).not.toBeNull();
      expect(r!.siaddr).toBe(HV);
      expect(r!.file).toBe(PXE_BOOTFILE_EFI);
      expect(r!.options['67']).toBeUndefined();
      expect(r!.options['66']).toBeUndefined();
    });

    it('dhclient -6 asking for the boot file URL gets BOOTFILE6 (option 59) in the Information-Request reply', async () => {
      const info = await dhclient6Inform(lab, PROBE_TAP, { request: ['dhcp6.name-servers', 'dhcp6.bootfile-url'] });
      expect(info).not.toBeNull();
      expect(info!.env.new_dhcp6_bootfile_url).toBe(BOOTFILE6);
    });
  },
  { binaries: ['ip', 'sysctl', 'tcpdump', 'dhclient', 'qemu-system-x86_64'], scapy: true },
);
