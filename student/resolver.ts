// autograder: starter (delete this line when you start: files that still have it are not graded)
// resolver NAME | resolver -r ADDRESS | resolver --fqdn [NAME]: the contract is in docs/exercises/resolver.md.
import dns from 'node:dns/promises';
import { readFileSync } from 'node:fs';

const USAGE = 'usage: resolver NAME | resolver -r ADDRESS | resolver --fqdn [NAME]';
const args = process.argv.slice(2);

if (args[0] === '--fqdn' && args.length <= 2) {
  // TODO: print {"fqdn": ...} as Python's socket.getfqdn(args[1] ?? '') would.
} else if (args[0] === '-r' && args.length === 2) {
  // TODO: print {"hostname", "aliases", "addresses"} as Python's socket.gethostbyaddr(args[1]) would.
} else if (args.length === 1 && !args[0].startsWith('-')) {
  // TODO: the same as socket.gethostbyname_ex(args[0]): Node has no such function, so read /etc/hosts
  // (readFileSync) for the canonical name and aliases, and ask dns.lookup for names it lacks.
} else {
  console.error(USAGE);
  process.exit(2);
}
// TODO: print the result with JSON.stringify. When the lookup fails, print one line to stderr and exit 2.
void dns;
void readFileSync;
console.error(`resolver: not written yet (asked: ${args.join(' ')})`);
process.exit(1);
