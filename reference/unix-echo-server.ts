/**
 * Echo server on a Unix-domain stream socket: `unix-echo-server PATH`.
 *
 * Every byte a client sends comes back unchanged, as it arrives; at the client's EOF the server closes
 * the connection and serves the next client. A socket file left at PATH by an earlier run that was
 * killed (nothing listens on it any more) is removed before binding, or bind fails with EADDRINUSE.
 */
import { lstatSync, unlinkSync } from 'node:fs';
import net from 'node:net';

const [socketPath] = process.argv.slice(2);
if (!socketPath) {
  console.error('usage: unix-echo-server PATH');
  process.exit(2);
}

/** Removes PATH if it is a socket file; anything else there (a regular file, a folder) is left to fail the bind. */
function removeStaleSocket(target: string): void {
  try {
    if (lstatSync(target).isSocket()) {
      unlinkSync(target);
      console.log(`removed the stale socket file ${target}`);
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}

const server = net.createServer({ allowHalfOpen: true }, (socket) => {
  let echoed = 0;
  socket.on('data', (chunk: Buffer) => {
    echoed += chunk.length;
    socket.write(chunk);
  });
  // allowHalfOpen: the client's EOF does not end our side by itself; we end it once the echo is queued.
  socket.on('end', () => {
    console.log(`client done after ${echoed} bytes`);
    socket.end();
  });
  // A client that hangs up without reading (EPIPE, ECONNRESET) must not bring the server down.
  socket.on('error', (error) => console.log(`client: ${error.message}`));
});

server.on('error', (error) => {
  console.error(`unix-echo-server: ${error.message}`);
  process.exit(1);
});

removeStaleSocket(socketPath);
server.listen(socketPath, () => console.log(`listening on Unix socket ${socketPath}`));
