// autograder: starter (delete this line when you start: files that still have it are not graded)
// udp-echo-server HOST PORT: the contract is in docs/exercises/udp-echo-server.md.
import dgram from 'node:dgram';

const [host, port] = process.argv.slice(2);
// TODO: create a UDP socket (dgram) of the right family for `host`, bind it to host:port, and send
// every datagram back, unchanged and from that same socket, to the address it came from.
void dgram;
console.error(`udp-echo-server: not written yet (asked to serve ${host}:${port})`);
process.exit(1);
