/**
 * Echo server (RFC 862): `tcp-echo-server HOST PORT`.
 * Iterative: one client at a time, the others wait in the accept queue (backlog 5). Every byte is sent
 * back; when the client closes its side, the server closes its side and serves the next client.
 */
import net from 'node:net';

const [host, port] = process.argv.slice(2);
if (!host || !port) {
  console.error('usage: tcp-echo-server HOST PORT');
  process.exit(2);
}

const waiting: net.Socket[] = [];
let serving = false;

function serveNext(): void {
  if (serving) return;
  const client = waiting.shift();
  if (!client) return;
  if (client.destroyed) return serveNext(); // reset while it waited
  serving = true;
  client.once('close', () => {
    serving = false;
    serveNext();
  });
  // pipe() waits for each write to drain before reading more (no unbounded buffering of 1 MiB
  // streams) and ends our side once the client has ended its side and everything is echoed.
  client.pipe(client);
  client.resume();
}

// pauseOnConnect: queued clients are not read until their turn. allowHalfOpen: the client's EOF does
// not close our side before the echo is complete.
const server = net.createServer({ pauseOnConnect: true, allowHalfOpen: true }, (client) => {
  const who = `${client.remoteAddress}:${client.remotePort}`;
  // A client that resets must cost only its own connection, whether it is queued or being served.
  client.on('error', (error: NodeJS.ErrnoException) => console.error(`client ${who}: ${error.code ?? error.message}`));
  client.once('close', () => console.log(`client ${who} done`));
  console.log(`client ${who} connected`);
  waiting.push(client);
  serveNext();
});

server.on('error', (error) => {
  console.error(`tcp-echo-server: ${error.message}`);
  process.exit(1);
});

// libuv sets SO_REUSEADDR on listening sockets, so a restart is not blocked by connections in TIME_WAIT.
server.listen({ host, port: Number(port), backlog: 5 }, () => console.log(`listening on TCP ${host}:${port}`));
