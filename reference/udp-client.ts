/**
 * Connectionless client with retransmission: `udp-client HOST PORT MESSAGE`.
 * Sends MESSAGE from an ephemeral port, waits 1 s for a reply from HOST:PORT, retransmits, and gives
 * up after the 4th try: prints `received <reply>` (exit 0), or a timeout error on stderr (exit 1).
 */
import dgram from 'node:dgram';
import { lookup } from 'node:dns/promises';

const TRIES = 4;
const WAIT_MS = 1000;

async function main(): Promise<void> {
  const [host, portText, message] = process.argv.slice(2);
  if (!host || !portText || message === undefined) {
    console.error('usage: udp-client HOST PORT MESSAGE');
    process.exit(2);
  }
  const port = Number(portText);
  // Resolve once: replies are accepted only from this address, and `localhost` is not an address.
  const server = await lookup(host);
  const socket = dgram.createSocket(server.family === 6 ? 'udp6' : 'udp4');
  let tries = 0;
  let timer: NodeJS.Timeout | undefined;

  const finish = (code: number) => {
    clearTimeout(timer);
    socket.close();
    process.exitCode = code;
  };

  const sendTry = () => {
    tries += 1;
    socket.send(message, port, server.address);
    timer = setTimeout(() => {
      if (tries < TRIES) return sendTry();
      console.error(`udp-client: timeout: no reply from ${host}:${port} after ${TRIES} tries`);
      finish(1);
    }, WAIT_MS);
  };

  socket.on('message', (data, from) => {
    // Anyone may send to our port: a datagram from another address or port is not the reply, and
    // the wait for the real one goes on.
    if (from.address !== server.address || from.port !== port) {
      console.error(`udp-client: ignored ${data.length} bytes from ${from.address}:${from.port}`);
      return;
    }
    console.log(`received ${data.toString()}`);
    finish(0);
  });

  socket.on('error', (error) => {
    console.error(`udp-client: ${error.message}`);
    finish(1);
  });

  // Port 0: the OS picks a free ephemeral port.
  socket.bind(0, () => {
    console.log(`using port ${socket.address().port}`);
    sendTry();
  });
}

main().catch((error: Error) => {
  console.error(`udp-client: ${error.message}`);
  process.exitCode = 1;
});
