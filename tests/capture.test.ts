/**
 * grade --capture: the pcap reading and cutting, which checks get a capture and where it goes, the
 * links students and TAs see, and end to end with tcpdump in a submission's network namespace.
 * Without tcpdump the end-to-end part says how to install it and is skipped, unless
 * GRADER_REQUIRE_TCPDUMP=1 (set by .ci/run, which installs it) makes that a failure.
 */
import { execFile, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { captureSupport, cutCaptures, timelinePorts } from '../grader/capture';
import { detectIsolation } from '../grader/isolation';
import { portsOf, readPcap, selectPackets } from '../grader/pcap';
import { feedbackMarkdown } from '../grader/report/feedback';
import { feedbackHtml } from '../grader/report/feedback-html';
import { reportHtml } from '../grader/report/html';
import type { CheckResult, ExerciseResult } from '../specs/harness/results';
import type { TimelineRecord } from '../specs/harness/timeline';
import { WHOLE_GRADING_LIMIT_MS } from './helpers/limits';
import { submission, udpExercise } from './helpers/sample-results';

const REPO = path.resolve(__dirname, '..');
const TSX = path.join(REPO, 'node_modules', 'tsx', 'dist', 'cli.mjs');

/** An Ethernet frame (as on lo) with an IPv4 or IPv6 header and a UDP or TCP header from `src` to `dst`. */
function frame(version: 4 | 6, protocol: 'udp' | 'tcp', src: number, dst: number, payload = Buffer.from('hi')): Buffer {
  const ethernet = Buffer.alloc(14);
  ethernet.writeUInt16BE(version === 4 ? 0x0800 : 0x86dd, 12);
  const transport = Buffer.alloc(protocol === 'udp' ? 8 : 20);
  transport.writeUInt16BE(src, 0);
  transport.writeUInt16BE(dst, 2);
  const ip = Buffer.alloc(version === 4 ? 20 : 40);
  if (version === 4) {
    ip[0] = 0x45;
    ip[9] = protocol === 'udp' ? 17 : 6;
  } else {
    ip[0] = 0x60;
    ip[6] = protocol === 'udp' ? 17 : 6;
  }
  return Buffer.concat([ethernet, ip, transport, payload]);
}

/** A pcap file (microsecond timestamps, little-endian, Ethernet) of frames at the given ms since the epoch. */
function pcapOf(packets: { ms: number; data: Buffer }[], bigEndian = false): Buffer {
  const w = (b: Buffer, value: number, at: number) => (bigEndian ? b.writeUInt32BE(value, at) : b.writeUInt32LE(value, at));
  const header = Buffer.alloc(24);
  w(header, 0xa1b2c3d4, 0);
  (bigEndian ? header.writeUInt16BE.bind(header) : header.writeUInt16LE.bind(header))(2, 4);
  w(header, 512, 16);
  w(header, 1, 20);
  const records = packets.map(({ ms, data }) => {
    const record = Buffer.alloc(16);
    w(record, Math.floor(ms / 1000), 0);
    w(record, Math.round((ms % 1000) * 1000), 4);
    w(record, data.length, 8);
    w(record, data.length, 12);
    return Buffer.concat([record, data]);
  });
  return Buffer.concat([header, ...records]);
}

const T0 = 1_800_000_000_000;

describe('pcap', () => {
  test('reads the ports of IPv4 and IPv6, UDP and TCP, in either byte order of the file', () => {
    const packets = [
      { ms: T0, data: frame(4, 'udp', 40000, 50000) },
      { ms: T0 + 1, data: frame(6, 'tcp', 50001, 40001) },
    ];
    for (const bigEndian of [false, true]) {
      const capture = readPcap(pcapOf(packets, bigEndian))!;
      expect(capture.linkType).toBe(1);
      expect(capture.packets.map((p) => Math.round(p.ms))).toEqual([T0, T0 + 1]);
      expect(capture.packets.map((p) => portsOf(capture.linkType, p.data))).toEqual([
        [40000, 50000],
        [50001, 40001],
      ]);
    }
    expect(readPcap(Buffer.from('not a capture, not at all'))).toBeUndefined();
  });

  test('a record cut short at the end (tcpdump killed mid-write) is left out', () => {
    const file = pcapOf([
      { ms: T0, data: frame(4, 'udp', 1000, 2000) },
      { ms: T0 + 5, data: frame(4, 'udp', 1000, 2000) },
    ]);
    expect(readPcap(file.subarray(0, file.length - 3))!.packets).toHaveLength(1);
  });

  test("one check's packets: its ports, within its time, bounded in bytes", () => {
    const capture = readPcap(
      pcapOf([
        { ms: T0 - 10, data: frame(4, 'udp', 40000, 50000) }, // before the check
        { ms: T0 + 1, data: frame(4, 'udp', 40000, 50000) },
        { ms: T0 + 2, data: frame(4, 'udp', 40002, 50002) }, // another check's ports
        { ms: T0 + 3, data: frame(4, 'tcp', 50000, 40000, Buffer.alloc(1000)) },
        { ms: T0 + 4, data: frame(4, 'udp', 40000, 50000) },
        { ms: T0 + 9000, data: frame(4, 'udp', 40000, 50000) }, // after it
      ]),
    )!;
    const all = selectPackets(capture, { ports: new Set([50000]), fromMs: T0, toMs: T0 + 100, maxBytes: 1e6 })!;
    expect(all.packets).toBe(3);
    expect(all.cut).toBe(0);
    expect(readPcap(all.file)!.packets.map((p) => Math.round(p.ms - T0))).toEqual([1, 3, 4]);
    const bounded = selectPackets(capture, { ports: new Set([50000]), fromMs: T0, toMs: T0 + 100, maxBytes: 24 + 2 * (16 + 44) })!;
    expect([bounded.packets, bounded.cut]).toEqual([2, 1]);
    expect(selectPackets(capture, { ports: new Set([9]), fromMs: T0, toMs: T0 + 100, maxBytes: 1e6 })).toBeUndefined();
  });
});

describe('which checks get a capture', () => {
  const timeline: TimelineRecord = {
    startedAt: T0,
    cut: 0,
    events: [
      { ms: 1, kind: 'listen', from: 'grader', text: 'listening on UDP 127.0.0.1:50000' },
      { ms: 2, kind: 'start', from: 'program', text: 'started: python3 udp-client.py 127.0.0.1 50000 hi' },
      { ms: 3, kind: 'receive', from: 'program', to: 'grader', via: 'UDP 127.0.0.1:40000 → :50000', size: 2 },
      { ms: 4, kind: 'send', from: 'grader', to: 'program', via: 'UDP [::1]:41000 → [::1]:40001', size: 2 },
    ],
  };

  test('the ports are those of the check’s own sockets', () => {
    expect([...timelinePorts(timeline)].sort()).toEqual([40000, 40001, 41000, 50000]);
  });

  test('failed checks, visible and hidden apart; passed ones and those without ports get none', () => {
    const exercise = udpExercise({ large: 'failed', secret: 'failed' });
    exercise.checks = exercise.checks.map((c): CheckResult => ({ ...c, timeline }));
    const unix = { ...udpExercise({ large: 'failed' }), id: 'unix-echo-server' };
    unix.checks = unix.checks.map((c): CheckResult => ({ ...c, timeline: { ...timeline, events: [{ ms: 1, kind: 'connect', from: 'grader', to: 'program', via: 'Unix /tmp/x.sock' }] } }));
    const pcap = pcapOf([
      { ms: T0 + 3, data: frame(4, 'udp', 40000, 50000) },
      { ms: T0 + 4, data: frame(6, 'udp', 41000, 40001) },
    ]);
    const exercises: ExerciseResult[] = [exercise, unix];
    const captures = cutCaptures(pcap, exercises);
    expect(captures.map((c) => c.file).sort()).toEqual(['captures/hidden/udp-upper-server--secret.pcap', 'captures/udp-upper-server--large.pcap']);
    expect(readPcap(captures[0].bytes)!.packets).toHaveLength(2);
    const byId = Object.fromEntries(exercise.checks.map((c) => [c.id, c.capture]));
    expect(byId).toEqual({ uppercase: undefined, large: { file: 'captures/udp-upper-server--large.pcap', packets: 2 }, secret: { file: 'captures/hidden/udp-upper-server--secret.pcap', packets: 2 } });
    expect(unix.checks.every((c) => c.capture === undefined)).toBe(true);
  });

  test("feedback links a visible failing check's capture, never a hidden one's; report.html links both", () => {
    const exercise = udpExercise({ large: 'failed', secret: 'failed' });
    exercise.checks = exercise.checks.map((c): CheckResult => (c.status === 'failed' ? { ...c, capture: { file: `captures/${c.hidden ? 'hidden/' : ''}udp-upper-server--${c.id}.pcap`, packets: 7, ...(c.hidden ? {} : { cut: 3 }) } } : c));
    const result = submission('bob', [exercise]);
    const md = feedbackMarkdown(result);
    expect(md).toContain('Packets, for Wireshark: [captures/udp-upper-server--large.pcap](captures/udp-upper-server--large.pcap) (the first 7 packets; 3 more left out');
    expect(md).not.toContain('hidden/');
    const html = feedbackHtml(result);
    expect(html).toContain('<a href="captures/udp-upper-server--large.pcap">');
    expect(html).not.toContain('hidden/');
    const report = reportHtml([result]);
    expect(report).toContain('href="submissions/bob/captures/udp-upper-server--large.pcap"');
    expect(report).toContain('href="submissions/bob/captures/hidden/udp-upper-server--secret.pcap"');
  });
});

describe('where it cannot capture', () => {
  test('without namespaces of its own, or without tcpdump, it says why', async () => {
    const unsafe = await captureSupport({ active: false, wrap: (command, args) => ({ command, args }) });
    expect(unsafe).toEqual({ ok: false, reason: expect.stringContaining('network namespaces of their own') });
    const missing = await captureSupport({ active: true, wrap: (command, args) => ({ command, args }) }, 'tcpdump-not-installed-here');
    expect(missing).toEqual({ ok: false, reason: 'tcpdump-not-installed-here is not installed (Debian/Ubuntu: sudo apt-get install tcpdump)' });
  });
});

const hasTcpdump = spawnSync('sh', ['-c', 'command -v tcpdump']).status === 0;
const required = process.env.GRADER_REQUIRE_TCPDUMP === '1';
if (!hasTcpdump && !required) {
  test.skip('end to end with tcpdump: not run, tcpdump missing (apt-get install tcpdump)', () => undefined);
} else {
  describe('end to end', () => {
    const work = mkdtempSync(path.join(tmpdir(), 'capture-test-'));
    afterAll(() => rmSync(work, { recursive: true, force: true }));

    const grade = (args: string[]) =>
      new Promise<string>((resolve) => {
        execFile(process.execPath, [TSX, 'grade.ts', ...args], { cwd: REPO, env: { ...process.env, INIT_CWD: work } }, (_error, stdout, stderr) => resolve(`${stdout}${stderr}`));
      });

    test(
      "grade --capture saves a failing check's packets, and a run without it removes them",
      async () => {
        const isolation = detectIsolation();
        const support = await captureSupport(isolation);
        if (!support.ok && !required) {
          console.warn(`grade --capture not tried end to end: ${support.reason}`);
          return;
        }
        expect(support).toEqual({ ok: true });
        mkdirSync(path.join(work, 'class', 'carol', 'student'), { recursive: true });
        cpSync(path.join(REPO, 'fixtures', 'submissions', 'partial', 'student', 'udp-client.py'), path.join(work, 'class', 'carol', 'student', 'udp-client.py'));
        const output = await grade(['class', '--out', 'out', '--exercise', 'udp-client', '--capture']);
        expect(output.match(/^capture: /gm)).toHaveLength(1);
        const dir = path.join(work, 'out', 'submissions', 'carol');
        const file = path.join(dir, 'captures', 'udp-client--four-tries.pcap');
        expect(existsSync(file)).toBe(true);
        const capture = readPcap(readFileSync(file))!;
        const result = JSON.parse(readFileSync(path.join(dir, 'result.json'), 'utf8'));
        const check = result.exercises[0].checks.find((c: CheckResult) => c.id === 'four-tries') as CheckResult;
        const serverPort = Number(/listening on UDP 127\.0\.0\.1:(\d+)/.exec(check.timeline!.events.map((e) => e.text ?? '').join('\n'))![1]);
        // The five datagrams of the client, and nothing of any other check's ports.
        const ports = capture.packets.map((p) => portsOf(capture.linkType, p.data)!);
        expect(ports.filter(([, dst]) => dst === serverPort).length).toBeGreaterThanOrEqual(5);
        expect(ports.every((pair) => [...timelinePorts(check.timeline!)].some((port) => pair.includes(port)))).toBe(true);
        expect(check.capture).toEqual({ file: 'captures/udp-client--four-tries.pcap', packets: capture.packets.length });
        expect(readFileSync(path.join(dir, 'feedback.md'), 'utf8')).toContain('(captures/udp-client--four-tries.pcap)');
        // A run without --capture grades again (the option is in the fingerprint) and leaves no stale capture.
        const again = await grade(['class', '--out', 'out', '--exercise', 'udp-client']);
        expect(again).toMatch(/1 graded, 0 unchanged/);
        expect(existsSync(path.join(dir, 'captures'))).toBe(false);
      },
      WHOLE_GRADING_LIMIT_MS,
    );
  });
}
