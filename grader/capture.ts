/**
 * `grade --capture`: tcpdump records the loopback of each submission's own network namespace while
 * its checks run; afterwards each failing check's packets (its ports, its time) are cut out into a
 * pcap file of their own for Wireshark. Only where the namespace exists and tcpdump can run in it:
 * otherwise captureSupport says why, once, and grading goes on without captures.
 */
import { spawn, spawnSync } from 'node:child_process';
import type { CheckResult, ExerciseResult } from '../specs/harness/results';
import type { TimelineRecord } from '../specs/harness/timeline';
import type { Isolation } from './isolation';
import { readPcap, selectPackets } from './pcap';

/** Bytes kept of each packet: headers and the first bytes of the payload. */
const SNAP_BYTES = 512;
/** Packets one submission's capture keeps: at most about 53 MB with SNAP_BYTES. */
const MAX_PACKETS = 100_000;
/** The most one check's pcap file holds; packets past it are left out (and counted in the link). */
export const MAX_CHECK_CAPTURE_BYTES = 1024 * 1024;
/** How long tcpdump may take to start capturing before the run goes on without it. */
const START_LIMIT_S = 10;
const PREFLIGHT_LIMIT_MS = 15_000;
/** Packets that arrive after the check's last event (a late FIN, a retransmission) still belong to it. */
const AFTER_LAST_EVENT_MS = 1000;

const CAPTURE_LO = ['-i', 'lo', '-n', '-U', '-s', String(SNAP_BYTES)];
const tcpdumpArgs = [...CAPTURE_LO, '-c', String(MAX_PACKETS), '-w', '-'];

/**
 * The shell that starts tcpdump beside the command, waits until it captures (its "listening on" line,
 * or its end), then becomes the command: $1 tcpdump, $2 the pcap file, $3... the command.
 */
const CAPTURE_SCRIPT = [
  'tcpdump=$1; file=$2; shift 2',
  `"$tcpdump" ${tcpdumpArgs.join(' ')} > "$file" 2> "$file.log" &`,
  'pid=$!; i=0',
  `while [ $i -lt ${START_LIMIT_S * 50} ] && kill -0 $pid 2>/dev/null && ! grep -q "listening on" "$file.log"; do sleep 0.02; i=$((i+1)); done`,
  'exec "$@"',
].join('\n');

/** `command` run with tcpdump capturing beside it, writing `pcapFile` (and its log to pcapFile.log). */
export function withCapture(pcapFile: string, command: string, args: string[], tcpdump = 'tcpdump'): { command: string; args: string[] } {
  return { command: 'sh', args: ['-c', CAPTURE_SCRIPT, 'sh', tcpdump, pcapFile, command, ...args] };
}

export type CaptureSupport = { ok: true } | { ok: false; reason: string };

/** Whether tcpdump can capture in a submission's namespace here: tried once, for real. */
export async function captureSupport(isolation: Pick<Isolation, 'active' | 'wrap'>, tcpdump = 'tcpdump'): Promise<CaptureSupport> {
  if (!isolation.active) return { ok: false, reason: 'the submissions do not run in network namespaces of their own here (--unsafe), so a capture would record the whole machine' };
  if (spawnSync('sh', ['-c', 'command -v "$1"', 'sh', tcpdump]).status !== 0) return { ok: false, reason: `${tcpdump} is not installed (Debian/Ubuntu: sudo apt-get install tcpdump)` };
  const { command, args } = isolation.wrap(tcpdump, [...CAPTURE_LO, '-c', '1', '-w', '/dev/null']);
  return new Promise((resolve) => {
    const child = spawn(command, args, { detached: true, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    const done = (support: CaptureSupport) => {
      clearTimeout(timer);
      try {
        if (child.pid) process.kill(-child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
      resolve(support);
    };
    const timer = setTimeout(() => done({ ok: false, reason: `tcpdump did not start capturing within ${PREFLIGHT_LIMIT_MS / 1000} s` }), PREFLIGHT_LIMIT_MS);
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      if (stderr.includes('listening on')) done({ ok: true });
    });
    child.once('error', (error) => done({ ok: false, reason: `tcpdump could not start: ${error.message}` }));
    child.once('exit', () => done({ ok: false, reason: whyNot(stderr) }));
  });
}

function whyNot(stderr: string): string {
  const said = stderr.trim().split('\n').at(-1) ?? '';
  if (/couldn't change/i.test(said)) {
    return `tcpdump cannot run in this machine's user namespaces (${said}): it drops root for its own user, which a user namespace does not map; grade as root (sudo, or in the grading container) to capture`;
  }
  return `tcpdump could not capture in the submission's namespace: ${said || 'it ended without saying why'}`;
}

/** The ports a check's own sockets used, read from its timeline (e.g. "UDP 127.0.0.1:41234 → :23456"). */
export function timelinePorts(timeline: TimelineRecord): Set<number> {
  const ports = new Set<number>();
  for (const event of timeline.events) {
    const where = event.kind === 'listen' || event.kind === 'listening' ? `${event.via ?? ''} ${event.text ?? ''}` : (event.via ?? '');
    for (const match of where.matchAll(/:(\d{2,5})(?!\d)/g)) {
      const port = Number(match[1]);
      if (port > 0 && port < 65536) ports.add(port);
    }
  }
  return ports;
}

export interface CheckCapture {
  /** Relative to the submission's folder: captures/ID--CHECK.pcap, or captures/hidden/... for a hidden check. */
  file: string;
  bytes: Buffer;
}

/** Where a check's capture goes; hidden checks' apart, so that the folder of visible ones can go to the student. */
export function captureFile(exercise: string, check: CheckResult): string {
  return `captures/${check.hidden ? 'hidden/' : ''}${exercise}--${check.id}.pcap`;
}

/**
 * Each failing check's packets, cut from the submission's capture by the ports and the time of its
 * timeline; the check's result gets `capture` (the file) set. A check without ports (Unix sockets
 * do not pass through an interface) or without packets gets none.
 */
export function cutCaptures(pcap: Buffer, exercises: ExerciseResult[]): CheckCapture[] {
  const capture = readPcap(pcap);
  if (!capture) return [];
  const out: CheckCapture[] = [];
  for (const exercise of exercises) {
    for (const check of exercise.checks) {
      const timeline = check.timeline;
      if (check.status !== 'failed' || !timeline?.startedAt || timeline.events.length === 0) continue;
      const ports = timelinePorts(timeline);
      if (ports.size === 0) continue;
      const fromMs = timeline.startedAt;
      const toMs = timeline.startedAt + timeline.events.at(-1)!.ms + AFTER_LAST_EVENT_MS;
      const selected = selectPackets(capture, { ports, fromMs, toMs, maxBytes: MAX_CHECK_CAPTURE_BYTES });
      if (!selected) continue;
      const file = captureFile(exercise.id, check);
      check.capture = { file, packets: selected.packets, ...(selected.cut ? { cut: selected.cut } : {}) };
      out.push({ file, bytes: selected.file });
    }
  }
  return out;
}
