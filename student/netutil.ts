// autograder: starter (delete this line when you start: files that still have it are not graded)
// netutil OP VALUE: the contract is in docs/exercises/netutil.md.
import os from 'node:os';

const args = process.argv.slice(2);
if (args.length !== 2) {
  console.error('usage: netutil htonl|ntohl|htons|ntohs|aton|ntoa VALUE');
  process.exit(2);
}
const [op, value] = args;
// TODO: print the result of `op` on `value` on one line (os.endianness() says whether this machine is
// little-endian; Buffer has readUInt32BE/writeUInt32LE). Bad input: one line on stderr and exit code 2.
void os;
console.error(`netutil: ${op} is not written yet (value ${JSON.stringify(value)})`);
process.exit(2);
