// autograder: starter (delete this line when you start: files that still have it are not graded)
// udp-upper-server HOST PORT: the contract is in docs/exercises/udp-upper-server.md.
import dgram from 'node:dgram';

const [host, port] = process.argv.slice(2);
// TODO: create a UDP socket (dgram) of the right family for `host`, bind it to host:port, and answer
// every datagram, to the address it came from, with its bytes uppercased.
void dgram;
console.error(`udp-upper-server: not written yet (asked to serve ${host}:${port})`);
process.exit(1);
