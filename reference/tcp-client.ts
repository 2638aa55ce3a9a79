/**
 * Connection-oriented client: `tcp-client HOST PORT MESSAGE`.
 * Connects, sends MESSAGE, closes its sending side so the server sees EOF, reads the reply until the
 * server closes, and prints `Received <reply>` (exit 0). Refused, or 2 s without progress: exit 1.
 */
import net from 'node:net';

const IDLE_LIMIT_MS = 2000;

const [host, portText, message] = process.argv.slice(2);
if (!host || !portText || message === undefined) {
  console.error('usage: tcp-client HOST PORT MESSAGE');
  process.exit(2);
}
const port = Number(portText);

// net.connect resolves names such as `localhost` and tries each address it resolves to.
const socket = net.connect({ host, port });
const chunks: Buffer[] = [];

// An idle timer, not a deadline: any progress (connecting, a chunk arriving) restarts it.
socket.setTimeout(IDLE_LIMIT_MS);

socket.on('connect', () => {
  // end() writes MESSAGE and then shuts down the write side: a server that answers after EOF needs it.
  socket.end(message);
});

socket.on('data', (chunk: Buffer) => chunks.push(chunk));

// The reply may come in any number of pieces: it is complete only when the server closes.
socket.on('end', () => {
  console.log(`Received ${Buffer.concat(chunks).toString()}`);
});

socket.on('timeout', () => {
  console.error(`tcp-client: no progress from ${host}:${port} for ${IDLE_LIMIT_MS / 1000} s, giving up`);
  socket.destroy();
  process.exitCode = 1;
});

socket.on('error', (error: NodeJS.ErrnoException) => {
  const why = error.code === 'ECONNREFUSED' ? 'connection refused (is the server running on that port?)' : error.message;
  console.error(`tcp-client: cannot talk to ${host}:${port}: ${why}`);
  process.exitCode = 1;
});
