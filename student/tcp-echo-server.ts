// autograder: starter (delete this line when you start: files that still have it are not graded)
// tcp-echo-server HOST PORT: the contract is in docs/exercises/tcp-echo-server.md.
import net from 'node:net';

const [host, port] = process.argv.slice(2);
// TODO: create a TCP server (net) listening on host:port, and for each client send back every byte it
// sends until it closes its side, then close the connection. One client at a time is enough.
void net;
console.error(`tcp-echo-server: not written yet (asked to serve ${host}:${port})`);
process.exit(1);
