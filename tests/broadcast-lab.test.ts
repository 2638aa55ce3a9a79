/**
 * specs/harness/broadcast-lab.ts: a program's broadcasts reach its responders and nothing outside its
 * namespace; the lab ends as the program ends; its log says what was heard and sent.
 */
import { spawn } from 'node:child_process';
import dgram from 'node:dgram';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import getPort from 'get-port';
import { BROADCAST_ADDRESS, BroadcastLab, broadcastSupport } from '../specs/harness/broadcast-lab';
import { fromJailStatus } from '../specs/harness/exit-reasons';
import { pythonExecutable } from '../specs/harness/interpreters';
import { isJail, jail, sandboxSupport } from '../specs/harness/sandbox';
import { GRADING_STEP_LIMIT_MS } from './helpers/limits';

const support = broadcastSupport();

test('the lab works here, or says why (on CI it must work)', () => {
  if (!support.available) {
    console.warn(`broadcast lab unavailable: ${support.reason}`);
    expect(process.env.CI).not.toBe('true');
  }
});

/** Runs `python3 -c CODE` in the lab, jailed as a check's program; resolves with how it ended. */
async function inLab(lab: BroadcastLab, dir: string, code: string): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }> {
  const wrapped = lab.wrap('python3', ['-c', code]);
  const jailed = jail({ command: wrapped.command, args: wrapped.args, cwd: dir, inherited: process.env, env: {} });
  // stderr is kept, not inherited: a shell in the chain says "Terminated" when the program kills itself.
  const child = spawn(jailed.command, jailed.args, { cwd: dir, env: jailed.env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const [status, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) => child.once('close', (c, s) => resolve([c, s])));
  const exit = isJail(sandboxSupport().mode) ? fromJailStatus(status, signal) : { code: status, signal };
  return { ...exit, stdout, stderr };
}

const BROADCAST_EVERYWHERE = `
import socket, sys
port = int(sys.argv[1]) if len(sys.argv) > 1 else PORT
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
s.sendto(b'hello', ('${BROADCAST_ADDRESS}', port))
for target in ('255.255.255.255', '127.0.0.1'):
    try:
        s.sendto(b'escape', (target, port))
    except OSError as error:
        print('refused', target, error.errno)
s.settimeout(2)
print(s.recvfrom(100)[0].decode(), flush=True)
`;

(support.available ? describe : describe.skip)('a program in the lab', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'grader-lab-test-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  test('its broadcast reaches the responders and nothing outside the namespace, on any address', async () => {
    const port = await getPort();
    const outside = dgram.createSocket({ type: 'udp4', reuseAddr: true });
    const heardOutside: string[] = [];
    outside.on('message', (data, from) => heardOutside.push(`${data} from ${from.address}:${from.port}`));
    await new Promise<void>((resolve) => outside.bind(port, '0.0.0.0', resolve));
    outside.setBroadcast(true);
    try {
      const lab = new BroadcastLab(dir, { port, responders: [{ address: '127.0.0.2', reply: 'here', delays: [0] }] });
      const ran = await inLab(lab, dir, BROADCAST_EVERYWHERE.replace('PORT', String(port)));
      expect(ran).toMatchObject({ code: 0, signal: null });
      expect(ran.stdout).toContain('here');
      const log = lab.log();
      expect(log.heard.map((h) => [h.data.toString(), h.destination])).toEqual(expect.arrayContaining([['hello', BROADCAST_ADDRESS]]));
      expect(log.sent.length).toBeGreaterThan(0);
      expect(log.ended).toBeGreaterThan(log.heard[0].at);
      expect(heardOutside).toEqual([]);
    } finally {
      outside.close();
    }
  }, GRADING_STEP_LIMIT_MS);

  test('the lab ends as the program ends: its exit code, or its signal', async () => {
    const lab = new BroadcastLab(dir, { port: 24999, responders: [] });
    expect(await inLab(lab, dir, 'import sys; sys.exit(3)')).toMatchObject({ code: 3, signal: null });
    expect(await inLab(lab, dir, 'import os, signal; os.kill(os.getpid(), signal.SIGTERM)')).toMatchObject({ signal: 'SIGTERM' });
  }, GRADING_STEP_LIMIT_MS);

  test('a program that cannot be started is told as such (exit 127)', async () => {
    const lab = new BroadcastLab(dir, { port: 24998, responders: [] });
    const wrapped = lab.wrap('/nonexistent/program', []);
    expect(wrapped.args).toContain(pythonExecutable());
    const jailed = jail({ command: wrapped.command, args: wrapped.args, cwd: dir, inherited: process.env, env: {} });
    const child = spawn(jailed.command, jailed.args, { cwd: dir, env: jailed.env, stdio: 'ignore' });
    const status = await new Promise<number | null>((resolve) => child.once('close', resolve));
    expect(status).toBe(127);
  }, GRADING_STEP_LIMIT_MS);
});
