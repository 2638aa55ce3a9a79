// autograder: starter (delete this line when you start: files that still have it are not graded)
// tcp-line-server HOST PORT: the contract is in docs/exercises/tcp-line-server.md.
import net from 'node:net';

const IDLE_TIMEOUT_MS = 2000; // close a connection on which nothing has arrived for this long
const [host, port] = process.argv.slice(2);
// TODO: listen on host:port (net.createServer); cut what a client sends into lines ("\n" or "\r\n";
// a line may arrive in pieces) and answer each with the line uppercased plus "\n".
void net;
void IDLE_TIMEOUT_MS;
console.error(`tcp-line-server: not written yet (asked to serve ${host}:${port})`);
process.exit(1);
