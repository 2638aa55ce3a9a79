// autograder: starter (delete this line when you start: files that still have it are not graded)
// tcp-client HOST PORT MESSAGE: the contract is in docs/exercises/tcp-client.md.
import net from 'node:net';

const [host, port, message] = process.argv.slice(2);
// TODO: connect to host:port (host may be a name such as localhost), send `message`, end the sending
// side, read the reply until the server closes, and print "Received <reply>".
// Connection refused, or 2 s without progress: print an error to stderr and exit 1.
void net;
console.error(`tcp-client: not written yet (asked to send ${JSON.stringify(message)} to ${host}:${port})`);
process.exit(1);
