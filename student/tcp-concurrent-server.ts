// autograder: starter (delete this line when you start: files that still have it are not graded)
// tcp-concurrent-server HOST PORT: the contract is in docs/exercises/tcp-concurrent-server.md.
import net from 'node:net';

const [host, port] = process.argv.slice(2);
// TODO: listen on host:port (net.createServer) and serve every client at once: send back everything
// it sends with its letters a-z uppercased, and close its connection after its EOF.
void net;
console.error(`tcp-concurrent-server: not written yet (asked to serve ${host}:${port})`);
process.exit(1);
