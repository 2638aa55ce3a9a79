// autograder: starter (delete this line when you start: files that still have it are not graded)
// udp-client HOST PORT MESSAGE: the contract is in docs/exercises/udp-client.md.
import dgram from 'node:dgram';

const [host, port, message] = process.argv.slice(2);
// TODO: create a UDP socket (dgram) of the right family for `host`, send `message` to host:port, wait
// 1 s for the reply from that address, retransmit (4 tries in all), then print "received <reply>" and
// exit 0, or print an error containing "timeout" to stderr and exit 1.
void dgram;
console.error(`udp-client: not written yet (asked to send ${JSON.stringify(message)} to ${host}:${port})`);
process.exit(1);
