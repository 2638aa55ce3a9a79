/**
 * Connectionless uppercase server: `udp-upper-server HOST PORT`.
 * Every datagram is answered, from the same socket, to its sender, with ASCII a-z uppercased and every
 * other byte unchanged (Python's bytes.upper()); runs until killed.
 */
import dgram from 'node:dgram';

const [host, port] = process.argv.slice(2);
if (!host || !port) {
  console.error('usage: udp-upper-server HOST PORT');
  process.exit(2);
}

// A receive buffer large enough for bursts of big datagrams (the OS default may drop some).
const socket = dgram.createSocket({ type: host.includes(':') ? 'udp6' : 'udp4', recvBufferSize: 4 * 1024 * 1024 });

function asciiUpper(data: Buffer): Buffer {
  // toUpperCase() on a decoded string would rewrite non-ASCII bytes; only a-z may change.
  const out = Buffer.from(data);
  for (let i = 0; i < out.length; i++) if (out[i] >= 0x61 && out[i] <= 0x7a) out[i] -= 0x20;
  return out;
}

socket.on('message', (data, from) => {
  console.log(`datagram of ${data.length} bytes from ${from.address}:${from.port}`);
  socket.send(asciiUpper(data), from.port, from.address);
});

socket.on('error', (error) => {
  console.error(`udp-upper-server: ${error.message}`);
  process.exit(1);
});

socket.bind(Number(port), host, () => console.log(`listening on UDP ${host}:${port}`));
