/**
 * Discovery by broadcast: `udp-discover BROADCAST_ADDRESS PORT MESSAGE`.
 * Sends MESSAGE once to BROADCAST_ADDRESS:PORT (SO_BROADCAST), collects replies for 1 s in all, and
 * prints `ADDRESS PORT REPLY` for each responder, once, in the order their first replies arrived
 * (exit 0); no reply at all: an error on stderr, exit 1. A reply is a datagram from port PORT.
 */
import dgram from 'node:dgram';

const WAIT_MS = 1000;

function main(): void {
  const [address, portText, message] = process.argv.slice(2);
  if (!address || !portText || message === undefined) {
    console.error('usage: udp-discover BROADCAST_ADDRESS PORT MESSAGE');
    process.exit(2);
  }
  const port = Number(portText);
  const socket = dgram.createSocket('udp4');
  const responders = new Set<string>();

  // One deadline for the whole wait: replies that keep coming do not extend it.
  const finish = () => {
    socket.close();
    if (responders.size === 0) {
      console.error(`udp-discover: no reply to the broadcast on ${address}:${port} within ${WAIT_MS / 1000} s`);
      process.exitCode = 1;
    }
  };

  socket.on('message', (data, from) => {
    const who = `${from.address} ${from.port}`;
    if (from.port !== port) {
      console.error(`udp-discover: ignored ${data.length} bytes from ${who}: not from port ${port}`);
      return;
    }
    if (responders.has(who)) return;
    responders.add(who);
    console.log(`${who} ${data.toString()}`);
  });

  socket.on('error', (error) => {
    console.error(`udp-discover: ${error.message}`);
    socket.close();
    process.exitCode = 1;
  });

  socket.bind(0, () => {
    // Without it the kernel refuses to send to a broadcast address (EACCES).
    socket.setBroadcast(true);
    socket.send(message, port, address, (error) => {
      if (error) return socket.emit('error', error);
      setTimeout(finish, WAIT_MS);
    });
  });
}

main();
