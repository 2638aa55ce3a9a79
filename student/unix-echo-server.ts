// autograder: starter (delete this line when you start: files that still have it are not graded)
// unix-echo-server PATH: the contract is in docs/exercises/unix-echo-server.md.
import fs from 'node:fs';
import net from 'node:net';

const [socketPath] = process.argv.slice(2);
// TODO: remove a socket file an earlier run left at socketPath, make a net server listen on socketPath,
// and send back every byte each client sends until it ends its side.
void fs;
void net;
console.error(`unix-echo-server: not written yet (asked to serve ${socketPath})`);
process.exit(1);
