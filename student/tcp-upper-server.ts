// autograder: starter (delete this line when you start: files that still have it are not graded)
// tcp-upper-server HOST PORT: the contract is in docs/exercises/tcp-upper-server.md.
import net from 'node:net';

const IDLE_TIMEOUT_MS = 2000; // close a connection on which nothing has arrived for this long
const [host, port] = process.argv.slice(2);
// TODO: listen on host:port (net.createServer); send back everything a client sends with its
// letters a-z uppercased, and close the connection after the client's EOF or IDLE_TIMEOUT_MS of silence.
void net;
void IDLE_TIMEOUT_MS;
console.error(`tcp-upper-server: not written yet (asked to serve ${host}:${port})`);
process.exit(1);
