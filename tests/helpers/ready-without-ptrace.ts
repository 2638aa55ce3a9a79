/**
 * Run by tests/ready.test.ts as root without CAP_SYS_PTRACE (a container's default), where a jailed
 * program's descriptors cannot be read: whether readiness still tells its socket from another
 * program's on the same port. Prints one JSON line: what each wait said.
 */
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { killAll, launch } from '../../specs/harness/launch';
import { waitForListener } from '../../specs/harness/ready';

async function main(): Promise<void> {
  const [port, otherPort] = process.argv.slice(2).map(Number);
  const dir = mkdtempSync(path.join(tmpdir(), 'ready-without-ptrace-'));
  const start = (source: string) => {
    const file = path.join(dir, `prog-${Math.random().toString(36).slice(2)}.py`);
    writeFileSync(file, source);
    return launch({ command: 'python3', args: [file], cwd: dir, label: 'prog.py' });
  };
  const said = async (wait: Promise<unknown>) => wait.then((listening) => ({ listening }), (error: Error) => ({ error: error.message.split('\n')[0] }));
  const other = net.createServer().listen(otherPort, '127.0.0.1');
  await once(other, 'listening');
  try {
    const holdsOne = start('import socket, time\ns = socket.socket()\ntime.sleep(1000)\n');
    const beside = await said(waitForListener(holdsOne, { protocol: 'tcp', host: '127.0.0.1', port: otherPort }));
    const listens = start(`import socket, time\ns = socket.create_server(("127.0.0.1", ${port}))\ntime.sleep(1000)\n`);
    const own = await said(waitForListener(listens, { protocol: 'tcp', host: '127.0.0.1', port }));
    console.log(JSON.stringify({ beside, own, inodes: listens.processTree()?.socketInodes() === undefined ? 'unreadable' : 'read' }));
  } finally {
    other.close();
    await killAll();
    rmSync(dir, { recursive: true, force: true });
  }
}

void main();
