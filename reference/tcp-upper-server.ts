/**
 * Connection-oriented uppercase server: `tcp-upper-server HOST PORT`.
 * Iterative, like the lecture's server: one client at a time, the others wait their turn. The reply
 * to a client is its byte stream with ASCII a-z uppercased (every other byte unchanged), sent as it
 * arrives; after the client's EOF the server closes the connection and serves the next client. A
 * connection on which nothing happens for 2 s is closed, so a silent client cannot block the others.
 */
import net from 'node:net';

const IDLE_TIMEOUT_MS = 2000;

const [host, port] = process.argv.slice(2);
if (!host || !port) {
  console.error('usage: tcp-upper-server HOST PORT');
  process.exit(2);
}

function asciiUpper(data: Buffer): Buffer {
  // toUpperCase() on a decoded string would rewrite non-ASCII bytes; only a-z may change.
  const out = Buffer.from(data);
  for (let i = 0; i < out.length; i++) if (out[i] >= 0x61 && out[i] <= 0x7a) out[i] -= 0x20;
  return out;
}

const waiting: net.Socket[] = [];
let serving = false;

function serveNext(): void {
  if (serving) return;
  let socket = waiting.shift();
  while (socket?.destroyed) socket = waiting.shift(); // gone while it waited: nothing to serve
  if (!socket) return;
  serving = true;
  const peer = `${socket.remoteAddress}:${socket.remotePort}`;
  let bytes = 0;
  console.log(`serving ${peer}`);
  socket.setTimeout(IDLE_TIMEOUT_MS, () => {
    console.log(`${peer} idle for ${IDLE_TIMEOUT_MS / 1000} s: closing`);
    socket.destroy();
  });
  socket.on('data', (chunk: Buffer) => {
    bytes += chunk.length;
    // Backpressure: stop reading while the client is not reading its replies.
    if (!socket.write(asciiUpper(chunk))) {
      socket.pause();
      socket.once('drain', () => socket.resume());
    }
  });
  socket.on('end', () => socket.end()); // the client's EOF: finish sending, then close our side
  socket.once('close', () => {
    console.log(`${peer} done after ${bytes} bytes`);
    serving = false;
    serveNext();
  });
  socket.resume();
}

// pauseOnConnect: a client waiting its turn is not read from until it is served.
const server = net.createServer({ pauseOnConnect: true, allowHalfOpen: true }, (socket) => {
  socket.on('error', (error: NodeJS.ErrnoException) => console.log(`${socket.remoteAddress}:${socket.remotePort}: ${error.code ?? error.message}`));
  waiting.push(socket);
  serveNext();
});

server.on('error', (error) => {
  console.error(`tcp-upper-server: ${error.message}`);
  process.exit(1);
});

server.listen(Number(port), host, () => console.log(`listening on TCP ${host}:${port}`));
