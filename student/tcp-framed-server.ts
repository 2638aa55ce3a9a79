// autograder: starter (delete this line when you start: files that still have it are not graded)
// tcp-framed-server HOST PORT: the contract is in docs/exercises/tcp-framed-server.md.
import net from 'node:net';

const MAX_LENGTH = 1024 * 1024; // a longer announced length closes the connection without a reply

const [host, port] = process.argv.slice(2);
// TODO: create a TCP server (net.createServer) listening on host:port. A message is a 4-byte big-endian
// length (buffer.readUInt32BE) then that many bytes; answer each with one message framed the same way whose
// letters are uppercased. A 'data' event may hold part of a message, or several.
void net;
console.error(`tcp-framed-server: not written yet (asked to serve ${host}:${port}, max ${MAX_LENGTH} bytes)`);
process.exit(1);
