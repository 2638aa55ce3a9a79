/**
 * Names and addresses: `resolver NAME`, `resolver -r ADDRESS`, `resolver --fqdn [NAME]`.
 * Prints, as one JSON object, what Python's socket.gethostbyname_ex(NAME), gethostbyaddr(ADDRESS) and
 * getfqdn(NAME) return: {"hostname", "aliases", "addresses"} or {"fqdn"}. Unknown name or address:
 * one line on stderr, exit 2.
 *
 * Node has no gethostbyname_ex/gethostbyaddr, and its resolver (getaddrinfo/getnameinfo) never reports
 * aliases or canonical names from /etc/hosts. So this reads /etc/hosts the way glibc's "files" source
 * does, and asks the system resolver (dns.lookup / dns.lookupService) only for what the file lacks.
 */
import dns from 'node:dns/promises';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';

interface HostEntry {
  hostname: string;
  aliases: string[];
  addresses: string[];
}

interface HostsLine {
  address: string;
  /** The canonical name first, then the aliases. */
  names: string[];
}

function readHostsFile(): HostsLine[] {
  let text = '';
  try {
    text = readFileSync('/etc/hosts', 'utf8');
  } catch {
    return [];
  }
  return text.split('\n').flatMap((line) => {
    const [address, ...names] = line.replace(/#.*/, '').trim().split(/\s+/);
    return address && names.length > 0 ? [{ address, names }] : [];
  });
}

/** inet_ntop's form of an IPv6 address ("0:0::1" -> "::1"), or undefined if it is not one. */
function canonicalIPv6(address: string): string | undefined {
  try {
    return new net.SocketAddress({ address, family: 'ipv6' }).address;
  } catch {
    return undefined;
  }
}

/**
 * A hosts-file address as glibc reads it for an IPv4 lookup: IPv4 as is, ::1 as 127.0.0.1, an
 * IPv4-mapped IPv6 address as its IPv4 part; any other IPv6 line does not exist for IPv4 lookups.
 */
function asIPv4(address: string): string | undefined {
  if (net.isIPv4(address)) return address;
  const v6 = canonicalIPv6(address);
  if (v6 === '::1') return '127.0.0.1';
  return /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(v6 ?? '')?.[1];
}

/** `multi on` in /etc/host.conf (or RESOLV_MULTI=on): gethostbyname merges every line with the name. */
function mergesLines(): boolean {
  let multi = false;
  try {
    for (const line of readFileSync('/etc/host.conf', 'utf8').split('\n')) {
      const [keyword, value = ''] = line.replace(/#.*/, '').trim().split(/\s+/);
      if (keyword?.toLowerCase() === 'multi') multi = value.toLowerCase().startsWith('on');
    }
  } catch {
    // No host.conf: glibc's default, off.
  }
  const fromEnv = process.env.RESOLV_MULTI?.toLowerCase();
  return fromEnv === undefined ? multi : fromEnv.startsWith('on');
}

/** glibc's files source for gethostbyname: canonical name and aliases from the first line, merged lines after. */
function hostsByName(name: string): HostEntry | undefined {
  const wanted = name.toLowerCase();
  const matches = readHostsFile().flatMap((line) => {
    const address = asIPv4(line.address);
    return address && line.names.some((n) => n.toLowerCase() === wanted) ? [{ ...line, address }] : [];
  });
  if (matches.length === 0) return undefined;
  const [first, ...more] = mergesLines() ? matches : matches.slice(0, 1);
  const entry = { hostname: first.names[0], aliases: first.names.slice(1), addresses: [first.address] };
  for (const line of more) {
    entry.addresses.push(line.address);
    entry.aliases.push(...line.names.slice(1));
    if (line.names[0] !== entry.hostname) entry.aliases.push(line.names[0]);
  }
  return entry;
}

/** glibc's files source for gethostbyaddr: the first line with that address, never merged. */
function hostsByAddress(address: string): HostEntry | undefined {
  const ipv4 = net.isIPv4(address);
  const wanted = ipv4 ? address : canonicalIPv6(address);
  // An IPv6 lookup sees only IPv6 lines (not IPv4 lines as IPv4-mapped addresses).
  const line = readHostsFile().find((l) => (ipv4 ? asIPv4(l.address) : !net.isIPv4(l.address) && canonicalIPv6(l.address)) === wanted);
  return line && wanted ? { hostname: line.names[0], aliases: line.names.slice(1), addresses: [wanted] } : undefined;
}

async function gethostbynameEx(name: string): Promise<HostEntry> {
  // An IPv4 address is its own answer: glibc does not look it up. An IPv6 one has no IPv4 address.
  if (net.isIPv4(name)) return { hostname: name, aliases: [], addresses: [name] };
  if (net.isIPv6(name)) throw new Error('an IPv6 address has no IPv4 address (gethostbyname_ex is IPv4 only)');
  const fromFile = hostsByName(name);
  if (fromFile) return fromFile;
  const found = await dns.lookup(name, { family: 4, all: true });
  return { hostname: name, aliases: [], addresses: [...new Set(found.map((a) => a.address))] };
}

async function gethostbyaddr(address: string): Promise<HostEntry> {
  // Like Python, a name is accepted too: its first address is looked up.
  const ip = net.isIP(address) ? address : (await dns.lookup(address)).address;
  const fromFile = hostsByAddress(ip);
  if (fromFile) return fromFile;
  const { hostname } = await dns.lookupService(ip, 0);
  return { hostname, aliases: [], addresses: [net.isIPv4(ip) ? ip : (canonicalIPv6(ip) ?? ip)] };
}

/** Python's socket.getfqdn: the first name with a dot among gethostbyaddr's names, else its hostname. */
async function getfqdn(name = ''): Promise<string> {
  name = name.trim();
  if (!name || name === '0.0.0.0' || name === '::') name = os.hostname();
  let entry: HostEntry;
  try {
    entry = await gethostbyaddr(name);
  } catch {
    return name;
  }
  return [entry.hostname, ...entry.aliases].find((n) => n.includes('.')) ?? entry.hostname;
}

const USAGE = 'usage: resolver NAME | resolver -r ADDRESS | resolver --fqdn [NAME]';

async function main(args: string[]): Promise<void> {
  let result: HostEntry | { fqdn: string };
  if (args[0] === '--fqdn' && args.length <= 2) result = { fqdn: await getfqdn(args[1]) };
  else if (args[0] === '-r' && args.length === 2) result = await gethostbyaddr(args[1]);
  else if (args.length === 1 && !args[0].startsWith('-')) result = await gethostbynameEx(args[0]);
  else {
    console.error(USAGE);
    process.exit(2);
  }
  console.log(JSON.stringify(result));
}

main(process.argv.slice(2)).catch((error: NodeJS.ErrnoException) => {
  console.error(`resolver: ${process.argv.slice(2).join(' ')}: ${error.code === 'ENOTFOUND' ? 'unknown name or address' : error.message}`);
  process.exit(2);
});
