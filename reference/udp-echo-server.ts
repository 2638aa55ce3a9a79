/**
 * UDP echo server (RFC 862): `udp-echo-server HOST PORT`.
 * Every datagram, empty ones included, is sent back unchanged, from the same socket, to its sender;
 * datagrams up to 65507 bytes (the largest UDP payload over IPv4); runs until killed.
 */
import dgram from 'node:dgram';

const [host, port] = process.argv.slice(2);
if (!host || !port) {
  console.error('usage: udp-echo-server HOST PORT');
  process.exit(2);
}

// A receive buffer large enough for bursts of big datagrams (the OS default may drop some).
const socket = dgram.createSocket({ type: host.includes(':') ? 'udp6' : 'udp4', recvBufferSize: 4 * 1024 * 1024 });

socket.on('message', (data, from) => {
  console.log(`datagram of ${data.length} bytes from ${from.address}:${from.port}`);
  socket.send(data, from.port, from.address);
});

socket.on('error', (error) => {
  console.error(`udp-echo-server: ${error.message}`);
  process.exit(1);
});

socket.bind(Number(port), host, () => console.log(`listening on UDP ${host}:${port}`));
