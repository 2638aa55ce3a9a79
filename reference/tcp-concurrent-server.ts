/**
 * Concurrent uppercase server: `tcp-concurrent-server HOST PORT`.
 * Like tcp-upper-server (the reply is the client's byte stream with ASCII a-z uppercased, and the
 * connection is closed after the client's EOF), but every client is served as soon as it connects:
 * Node's event loop plays the part of the lecture's threading mix-in.
 */
import net from 'node:net';

const [host, port] = process.argv.slice(2);
if (!host || !port) {
  console.error('usage: tcp-concurrent-server HOST PORT');
  process.exit(2);
}

function asciiUpper(data: Buffer): Buffer {
  // toUpperCase() on a decoded string would rewrite non-ASCII bytes; only a-z may change.
  const out = Buffer.from(data);
  for (let i = 0; i < out.length; i++) if (out[i] >= 0x61 && out[i] <= 0x7a) out[i] -= 0x20;
  return out;
}

const server = net.createServer({ allowHalfOpen: true }, (socket) => {
  const peer = `${socket.remoteAddress}:${socket.remotePort}`;
  let bytes = 0;
  socket.on('data', (chunk: Buffer) => {
    bytes += chunk.length;
    // Backpressure: stop reading this client while it is not reading its replies.
    if (!socket.write(asciiUpper(chunk))) {
      socket.pause();
      socket.once('drain', () => socket.resume());
    }
  });
  socket.on('end', () => socket.end()); // the client's EOF: finish sending, then close our side
  socket.on('error', (error: NodeJS.ErrnoException) => console.log(`${peer}: ${error.code ?? error.message}`));
  socket.once('close', () => console.log(`${peer} done after ${bytes} bytes`));
});

server.on('error', (error) => {
  console.error(`tcp-concurrent-server: ${error.message}`);
  process.exit(1);
});

server.listen(Number(port), host, () => console.log(`listening on TCP ${host}:${port}`));
