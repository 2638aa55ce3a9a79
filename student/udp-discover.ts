// autograder: starter (delete this line when you start: files that still have it are not graded)
// udp-discover BROADCAST_ADDRESS PORT MESSAGE: the contract is in docs/exercises/udp-discover.md.
import dgram from 'node:dgram';

const [address, port, message] = process.argv.slice(2);
// TODO: create a UDP socket (dgram), bind it, setBroadcast(true), send `message` once to address:port,
// then collect replies for 1 s in all (one timer for the whole wait). Print "ADDRESS PORT REPLY" once
// per responder, in the order they first answered, and exit 0; a reply is a datagram from port `port`.
// Nobody answered: a message on stderr, exit 1.
void dgram;
console.error(`udp-discover: not written yet (asked to broadcast ${JSON.stringify(message)} to ${address}:${port})`);
process.exit(1);
