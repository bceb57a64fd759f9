import { describe, expect, it } from 'vitest';
import { Address6 } from 'ip-address';
import { bindingFileText, parseBindingFile, serializeBinding } from '../../../src/bindings/binding-file.js';
import { readValue } from '../../../src/bindings/shell-words.js';
import { sameBinding } from '../../../src/bindings/binding.js';
import { MAX_DNS4_SERVERS, MAX_DNS6_SERVERS, MAX_ROUTES } from '../../../src/protocols/reply-limits.js';

// What snf-network's kvm-ifup writes (nfdhcpd format), quoting included.
const SNF_FILE = `IP=203.0.113.10
MAC=aa:00:00:00:00:10
HOSTNAME=vm10
TAGS=""
GATEWAY=203.0.113.1
SUBNET=203.0.113.0/24
GATEWAY6=2001:db8:10::1
SUBNET6=2001:db8:10::/64
EUI64=2001:db8:10:0:a800:ff:fe00:10
PRIVATE=
MTU=
MACSPOOF=
INDEV=tap10
`;

function parse(text: string, tap = 'tap10') {
  const r = parseBindingFile(tap, text);
  if (!r.ok) throw new Error(`unexpected error: ${r.error.message}`);
  return r.binding;
}

function error(text: string, tap = 'tap10') {
  const r = parseBindingFile(tap, text);
  if (r.ok) throw new Error('expected an error');
  return r.error;
}

describe('binding files', () => {
  it('parses the nfdhcpd/snf-network format', () => {
    const b = parse(SNF_FILE);
    expect(b).toMatchObject({
      tap: 'tap10',
      indev: 'tap10',
      mac: 'aa:00:00:00:00:10',
      ip: '203.0.113.10',
      hostname: 'vm10',
      tags: undefined,
      gateway: '203.0.113.1',
      subnet: { network: '203.0.113.0', prefixLength: 24 },
      gateway6: '2001:db8:10::1',
      subnet6: { network: '2001:db8:10::', prefixLength: 64 },
      eui64: '2001:db8:10:0:a800:ff:fe00:10',
      private: false,
      mtu: undefined,
      macspoof: false,
      windows: false,
      routes: [],
      extra: {},
    });
  });

  it('defaults INDEV to the tap, normalises MAC case, reads flags and extras', () => {
    const b = parse(
      'MAC=AA:00:00:00:00:11\nIP=203.0.113.11\nSUBNET=203.0.113.7/24\nPRIVATE=yes\nMACSPOOF=1\nMTU=1450\nFOO=bar\nWINDOWS=1\nROUTES="10.0.0.0/8 via 203.0.113.1"\nDNS=198.51.100.53\nDOMAIN=example.org\n',
      'tap11',
    );
    expect(b.indev).toBe('tap11');
    expect(b.mac).toBe('aa:00:00:00:00:11');
    expect(b.subnet).toEqual({ network: '203.0.113.0', prefixLength: 24 });
    expect(b.private).toBe(true);
    expect(b.macspoof).toBe(true);
    expect(b.windows).toBe(true);
    expect(b.mtu).toBe(1450);
    expect(b.extra).toEqual({ FOO: 'bar' });
    expect(b.routes).toEqual([{ destination: '10.0.0.0', prefixLength: 8, router: '203.0.113.1' }]);
    expect(b.dns).toEqual(['198.51.100.53']);
    expect(b.domain).toBe('example.org');
    expect(parse('MAC=aa:00:00:00:00:11\nMACSPOOF=0\nPRIVATE=no\n').macspoof).toBe(false);
  });

  it('reads ARP_RESPONDER as a typed switch: yes/no words only, unset when empty; written back as yes/no', () => {
    const base = 'MAC=aa:00:00:00:00:10\n';
    expect(parse(`${base}ARP_RESPONDER=yes\n`).arpResponder).toBe(true);
    expect(parse(`${base}ARP_RESPONDER=Off\n`).arpResponder).toBe(false);
    expect(parse(`${base}ARP_RESPONDER=\n`).arpResponder).toBeUndefined();
    expect(parse(base).arpResponder).toBeUndefined();
    expect(parse(`${base}ARP_RESPONDER=1\n`).extra).toEqual({}); // a key of its own, no longer an extra
    expect(error(`${base}ARP_RESPONDER=maybe\n`)).toMatchObject({ key: 'ARP_RESPONDER', line: 2, detail: '"maybe" is not yes or no' });
    const off = parse(`${base}ARP_RESPONDER=0\n`);
    expect(serializeBinding(off).split('\n')).toContain('ARP_RESPONDER=no');
    expect(parse(serializeBinding(off))).toEqual(off);
  });

  it('builds frozen bindings; sameBinding compares every field and extra key', () => {
    const b = parse('MAC=aa:00:00:00:00:10\nIP=203.0.113.10\nSUBNET=203.0.113.0/24\nROUTES=10.0.0.0/8 via 203.0.113.1\nFOO=bar\n');
    expect(Object.isFrozen(b) && Object.isFrozen(b.subnet) && Object.isFrozen(b.routes) && Object.isFrozen(b.routes[0]) && Object.isFrozen(b.extra)).toBe(true);
    expect(sameBinding(b, parse(serializeBinding(b)))).toBe(true);
    expect(sameBinding(b, { ...b, extra: { FOO: 'baz' } })).toBe(false);
    expect(sameBinding(b, { ...b, routes: [] })).toBe(false);
    expect(sameBinding(b, { ...b, subnet: { network: '203.0.113.0', prefixLength: 25 } })).toBe(false);
  });

  it('accepts an IPv6-only binding and comments/blank lines', () => {
    const b = parse('# written by hook\n\nMAC=aa:00:00:00:00:12\nSUBNET6=2001:db8:12::/64\n');
    expect(b.ip).toBeUndefined();
    expect(b.subnet6).toEqual({ network: '2001:db8:12::', prefixLength: 64 });
  });

  it('names the line and key of what is wrong', () => {
    expect(error('IP=203.0.113.10\nSUBNET=203.0.113.0/24\n')).toMatchObject({ key: 'MAC', line: undefined });
    expect(error('MAC=aa:00:00:00:00:10\nIP=203.0.113.300\n')).toMatchObject({ key: 'IP', line: 2 });
    expect(error('MAC=aa:00:00:00:00:10\nIP=198.51.100.1\nSUBNET=203.0.113.0/24\n')).toMatchObject({ key: 'IP', line: 2 });
    expect(error('MAC=aa:00:00:00:00:10\nIP=203.0.113.9\n')).toMatchObject({ key: 'SUBNET' });
    expect(error('MAC=aa:00:00:00:00:10\nSUBNET=203.0.113.0/24\nGATEWAY=198.51.100.1\n')).toMatchObject({ key: 'GATEWAY', line: 3 });
    expect(error('MAC=aa:00:00:00:00:10\nMTU=12\n')).toMatchObject({ key: 'MTU', line: 2 });
    expect(error('MAC=zz:00:00:00:00:10\n')).toMatchObject({ key: 'MAC', line: 1 });
    expect(error('MAC=aa:00:00:00:00:10\nGATEWAY6=fe80::1%tap10\n')).toMatchObject({ key: 'GATEWAY6', line: 2 });
    expect(error('MAC=aa:00:00:00:00:10\nSUBNET6=2001:db8::/64\nEUI64=2001:db9::1\n')).toMatchObject({ key: 'EUI64', line: 3 });
    expect(error('MAC=aa:00:00:00:00:10\njust some text\n')).toMatchObject({ line: 2 });
    expect(error('MAC=aa:00:00:00:00:10\nINDEV=../etc\n')).toMatchObject({ key: 'INDEV' });
    expect(error('MAC=aa:00:00:00:00:10\nROUTES=10.0.0.0/8\n')).toMatchObject({ key: 'ROUTES' });
  });

  it('refuses hostile file names and contents', () => {
    for (const name of ['../tap10', 'a/b', '.', '..', 'averyveryverylongname', '']) {
      expect(error('MAC=aa:00:00:00:00:10\n', name).message).toMatch(/not a valid interface name/);
    }
    expect(error('MAC=aa:00:00:00:00:10\n' + 'X='.padEnd(70_000, 'x') + '\n').message).toMatch(/larger than/);
    expect(error('MAC=aa:00:00:00:00:10\0\n').message).toMatch(/NUL/);
  });

  it('round-trips through serializeBinding', () => {
    for (const text of [SNF_FILE, 'MAC=aa:00:00:00:00:11\nIP=203.0.113.11\nSUBNET=203.0.113.0/24\nPRIVATE=1\nTAGS="a b"\nFOO=bar\nROUTES="10.0.0.0/8 via 203.0.113.1, 198.51.100.0/24 via 0.0.0.0"\nUPLINK=eth1\n']) {
      const b = parse(text);
      const again = parse(serializeBinding(b));
      expect(again).toEqual(b);
    }
  });

  it('reads a DNS or DNS6 list with no address in it as no list (the defaults), so it round-trips', () => {
    for (const v of [',', ' , ', ',,']) {
      const b = parse(`MAC=aa:00:00:00:00:10\nIP=203.0.113.10\nSUBNET=203.0.113.0/24\nDNS=${v}\nDNS6=${v}\n`);
      expect(b.dns, v).toBeUndefined();
      expect(b.dns6, v).toBeUndefined();
      expect(parse(serializeBinding(b))).toEqual(b);
    }
    expect(parse('MAC=aa:00:00:00:00:10\nIP=203.0.113.10\nSUBNET=203.0.113.0/24\nDNS=,192.0.2.1,\n').dns).toEqual(['192.0.2.1']);
  });

  it('bindingFileText: the serialized text, and whether the file quotes any value', () => {
    const plain = parse('MAC=aa:00:00:00:00:10\nIP=203.0.113.10\nSUBNET=203.0.113.0/24\nDNS=192.0.2.1 192.0.2.2\nFOO=bar\n');
    expect(bindingFileText(plain)).toEqual({ text: serializeBinding(plain), quoted: false }); // DNS is written with commas
    expect(bindingFileText(plain).text).not.toMatch(/['"]/);
    const cases: Array<[string, string]> = [
      ['ROUTES=10.0.0.0/8 via 203.0.113.1', "ROUTES='10.0.0.0/8 via 203.0.113.1'"],
      ['TAGS="a b"', "TAGS='a b'"],
      ['TAGS="it\'s"', "TAGS='it'\\''s'"], // issue 11: never double quotes, which leave $ ` \\ live
      ['FOO=\'x;y\'', "FOO='x;y'"], // an unknown key is quoted (and so covered) like any other
    ];
    for (const [line, written] of cases) {
      const b = parse(`MAC=aa:00:00:00:00:10\n${line}\n`);
      const f = bindingFileText(b);
      expect(f.quoted, line).toBe(true);
      expect(f.text, line).toBe(serializeBinding(b));
      expect(f.text.split('\n'), line).toContain(written);
    }
  });

  // Regression (found by test/fuzz/files.fuzz.test.ts): TAGS=" (an unbalanced quote) lost its quote on rewrite.
  // Since issue 11 a value is read as sh reads it, so an unbalanced quote is refused, as sh would.
  it('round-trips values with quote characters; refuses unbalanced quotes', () => {
    for (const v of ['"', "'", 'a"b', "it's", '"x"', 'a b', '#x', '$HOME', 'a\'b"c', "''", '\\', '\\$x']) {
      const b = parse(`MAC=aa:00:00:00:00:10\nTAGS='${v.replaceAll("'", "'\\''")}'\n`);
      expect(b.tags, v).toBe(v);
      expect(parse(serializeBinding(b)).tags, v).toBe(v);
    }
    for (const v of ['"', "'", 'a\'b"c', "'x", 'x\\']) {
      expect(error(`MAC=aa:00:00:00:00:10\nTAGS=${v}\n`), v).toMatchObject({ line: 2, key: 'TAGS' });
    }
    expect(error('MAC=aa:00:00:00:00:10\nTAGS=a\x01b\n')).toMatchObject({ line: 2, key: 'TAGS' });
  });

  // The plain address forms take a hand-written parser (ip-address is slow at start-up with thousands of
  // files); what is accepted and the canonical text stored must be exactly ip-address's.
  it('IPv6 values: same acceptance and canonical text as ip-address, fast path or not', () => {
    const addrs = [
      '2001:db8:10::1', '2001:DB8:10:0:0:0:0:1', '2001:0db8:0010::0001', '::1', '2001:db8::', 'fe80::1', '::ffff:192.0.2.1',
      '2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1', '1:2:3:4:5:6:7:8', '2001:db8::1%tap10', 'fe80::1%tap10', '2001:db8:::1',
      '2001:db8::12345', 'zz::1', '2001:db8::1/128', '1:2:3:4:5:6:7:8:9',
    ];
    for (const a of addrs) {
      const r = parseBindingFile('tap10', `MAC=aa:00:00:00:00:10\nGATEWAY6=${a}\n`);
      let expected: string | undefined;
      try {
        const x = new Address6(a);
        expected = x.zone || x.subnetMask !== 128 ? undefined : x.correctForm();
      } catch {
        expected = undefined;
      }
      expect(r.ok ? r.binding.gateway6 : undefined, a).toBe(expected);
    }
    const prefixes = ['2001:db8:10::/64', '2001:DB8:10:0::/64', '2001:db8:10::1/64', '2001:db8::/32', '::/0', '2001:db8::/129', '2001:db8::/6x', '2001:db8::', '2001:db8::/064'];
    for (const p of prefixes) {
      const r = parseBindingFile('tap10', `MAC=aa:00:00:00:00:10\nSUBNET6=${p}\n`);
      let expected: string | undefined;
      try {
        const x = new Address6(p);
        expected = x.zone || !p.includes('/') ? undefined : `${x.startAddress().correctForm()}/${x.subnetMask}`;
      } catch {
        expected = undefined;
      }
      expect(r.ok && r.binding.subnet6 ? `${r.binding.subnet6.network}/${r.binding.subnet6.prefixLength}` : undefined, p).toBe(expected);
    }
    // EUI64 must lie in SUBNET6, whatever way either is written.
    expect(parseBindingFile('tap10', 'MAC=aa:00:00:00:00:10\nSUBNET6=2001:DB8:10::/64\nEUI64=2001:db8:10:0:a800:ff:fe00:10\n').ok).toBe(true);
    expect(parseBindingFile('tap10', 'MAC=aa:00:00:00:00:10\nSUBNET6=2001:db8:10::/64\nEUI64=2001:db8:11::1\n').ok).toBe(false);
  });

  // Issue 11: values are read as POSIX sh reads them when a hook sources the file, or refused.
  it('reads plain, single- and double-quoted nfdhcpd values as before, and sh quoting exactly', () => {
    const same: Array<[string, string]> = [
      ['vm10', 'vm10'], ['"vm10"', 'vm10'], ["'vm10'", 'vm10'], ['""', ''], ["''", ''], ['"a b"', 'a b'],
      ['10.0.0.0/8 via 203.0.113.1', '10.0.0.0/8 via 203.0.113.1'], ['"it\'s"', "it's"], ["'say \"hi\"'", 'say "hi"'],
      ['"a\\b"', 'a\\b'], // inside double quotes a backslash before b stays (XCU 2.2.3)
    ];
    for (const [text, value] of same) expect(readValue(text), text).toEqual({ ok: true, value });
    const sh: Array<[string, string]> = [
      ["'a'\\''b'", "a'b"], ['"\\$x \\` \\" \\\\"', '$x ` " \\'], ['a\\ b', 'a b'], ["'a'b\"c\"", 'abc'], ["'$(id)'", '$(id)'],
    ];
    for (const [text, value] of sh) expect(readValue(text), text).toEqual({ ok: true, value });
    for (const text of ['"$x"', '$(id)', '`id`', '"`id`"', "'a' b", "'a';b", "x'", '"x', "'~'~", 'a\\', "'a'|b"]) {
      expect(readValue(text).ok, text).toBe(false);
    }
    expect(error("MAC=aa:00:00:00:00:10\nHOSTNAME=\"a'$(id)\"\n")).toMatchObject({ line: 2, key: 'HOSTNAME' });
    expect(error('MAC=aa:00:00:00:00:10\nTAGS="x\r"\n').message).toMatch(/control character/);
    expect(error("MAC=aa:00:00:00:00:10\nTAGS='a\nb'\n").message).toMatch(/unterminated/);
    // CRLF files still parse; U+2028 and U+0085 are not line breaks (neither for sh) and are kept.
    expect(parse('MAC=aa:00:00:00:00:10\r\nTAGS=x\r\n').tags).toBe('x');
    expect(parse("MAC=aa:00:00:00:00:10\nTAGS='\u2028a\u0085'\n").tags).toBe('\u2028a\u0085');
  });

  it('writes every value sh could misread in single quotes, a quote inside as \'\\\'\'', () => {
    const b = parse("MAC=aa:00:00:00:00:10\nHOSTNAME=a'$(id>/tmp/x)\nTAGS='x\"$y`z`\\'\n".replace("HOSTNAME=a'$(id>/tmp/x)", "HOSTNAME='a'\\''$(id>/tmp/x)'"));
    expect(b.hostname).toBe("a'$(id>/tmp/x)");
    const lines = serializeBinding(b).split('\n');
    expect(lines).toContain("HOSTNAME='a'\\''$(id>/tmp/x)'");
    expect(lines).toContain("TAGS='x\"$y`z`\\'");
    expect(() => serializeBinding({ ...b, tags: 'a\nIP=1.2.3.4' })).toThrow(/line break/);
  });

  // Issue 11, defect 6: IP='203.0.113.11 ' passed a trimmed check and then failed every reply.
  it('checks every value in the form it is stored: white space around a quoted value is refused', () => {
    const base = 'MAC=aa:00:00:00:00:10\nSUBNET=203.0.113.0/24\nSUBNET6=2001:db8::/64\n';
    const cases: Array<[string, string]> = [
      ['IP', '203.0.113.11'], ['GATEWAY', '203.0.113.1'], ['MAC', 'aa:00:00:00:00:10'], ['GATEWAY6', '2001:db8::1'],
      ['EUI64', '2001:db8::2'], ['SUBNET', '203.0.113.0/24'], ['SUBNET6', '2001:db8::/64'], ['MTU', '1500'], ['DNS', '198.51.100.53'],
      ['DNS6', '2001:db8::53'], ['DOMAIN', 'example.org'], ['INDEV', 'br0'], ['UPLINK', 'eth0'], ['HOSTNAME', 'vm'], ['PRIVATE', '1'],
    ];
    for (const [key, v] of cases) {
      expect(parseBindingFile('tap10', `${base}${key}='${v}'\n`).ok, `${key} ${v}`).toBe(true);
      for (const ws of [' ', '\t', '\u00a0', '\u2028']) {
        for (const quoted of [`'${v}${ws}'`, `'${ws}${v}'`]) {
          expect(error(`${base}${key}=${quoted}\n`), `${key}=${JSON.stringify(quoted)}`).toMatchObject({ key });
        }
      }
    }
    // Unquoted blanks around a value are the line's, not the value's (nfdhcpd trimmed them too).
    expect(parse(`${base}IP=203.0.113.11  \n`).ip).toBe('203.0.113.11');
    expect(parse("MAC=aa:00:00:00:00:10\nTAGS=' a '\n").tags).toBe(' a ');
  });

  // Issue 11, defect 8: a 128th DNS6 server made every RA fail to encode.
  it('limits every list to what a reply can carry, with a clear message', () => {
    const base = 'MAC=aa:00:00:00:00:10\nIP=203.0.113.10\nSUBNET=203.0.113.0/24\n';
    const v4 = (n: number) => Array.from({ length: n }, (_, i) => `198.51.100.${i + 1}`).join(',');
    const v6 = (n: number) => Array.from({ length: n }, (_, i) => `2001:db8::${(i + 1).toString(16)}`).join(',');
    const routes = (n: number) => `'${Array.from({ length: n }, (_, i) => `10.${i}.0.0/16 via 203.0.113.1`).join(', ')}'`;
    expect(parse(`${base}DNS=${v4(MAX_DNS4_SERVERS)}\n`).dns).toHaveLength(MAX_DNS4_SERVERS);
    expect(error(`${base}DNS=${v4(MAX_DNS4_SERVERS + 1)}\n`)).toMatchObject({ key: 'DNS', line: 4, detail: expect.stringMatching(/more than \d+ servers/) });
    expect(parse(`${base}DNS6=${v6(MAX_DNS6_SERVERS)}\n`).dns6).toHaveLength(MAX_DNS6_SERVERS);
    expect(error(`${base}DNS6=${v6(MAX_DNS6_SERVERS + 1)}\n`)).toMatchObject({ key: 'DNS6', line: 4 });
    expect(error(`${base}DNS6=${v6(200)}\n`)).toMatchObject({ key: 'DNS6' });
    expect(parse(`${base}ROUTES=${routes(MAX_ROUTES)}\n`).routes).toHaveLength(MAX_ROUTES);
    expect(error(`${base}ROUTES=${routes(MAX_ROUTES + 1)}\n`)).toMatchObject({ key: 'ROUTES', line: 4 });
  });
});
