/**
 * Byte-order and address utilities: `netutil OP VALUE`.
 *
 *   htonl, ntohl  VALUE a decimal 0..4294967295; prints the 32-bit value with its bytes converted
 *   htons, ntohs  VALUE a decimal 0..65535;      prints the 16-bit value with its bytes converted
 *   aton          VALUE a dotted quad;           prints its 4 bytes in network order as 8 lowercase hex digits
 *   ntoa          VALUE 8 hex digits;            prints the dotted quad
 *
 * The conversions are what the host computes: on a little-endian machine htonl swaps the bytes
 * (htonl(1) = 16777216), on a big-endian one it changes nothing. Bad input: one line on stderr, exit 2.
 */
import { endianness } from 'node:os';

class UsageError extends Error {}

const HOST_IS_BIG_ENDIAN = endianness() === 'BE';

/** A decimal integer in 0..max, or a UsageError naming what is wrong. */
function parseDecimal(text: string, max: number): number {
  // Number() would accept "0x10", "1e3", "" and " 7": only plain decimal digits are allowed.
  if (!/^-?\d+$/.test(text)) throw new UsageError(`not a decimal integer: ${JSON.stringify(text)}`);
  const value = Number(text);
  if (value < 0 || value > max) throw new UsageError(`${text} is out of range 0..${max}`);
  return value;
}

/** Host to network order and back are the same operation: a byte swap on little-endian hosts. */
function convert32(value: number): number {
  if (HOST_IS_BIG_ENDIAN) return value;
  const bytes = Buffer.alloc(4);
  bytes.writeUInt32LE(value);
  return bytes.readUInt32BE(0);
}

function convert16(value: number): number {
  if (HOST_IS_BIG_ENDIAN) return value;
  const bytes = Buffer.alloc(2);
  bytes.writeUInt16LE(value);
  return bytes.readUInt16BE(0);
}

/** Strict dotted quad: exactly 4 decimal parts of 0..255 (inet_aton would also take "1.2.3" or "0x7f.1"). */
function aton(text: string): string {
  const parts = text.split('.');
  if (parts.length !== 4 || !parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255)) {
    throw new UsageError(`not a dotted-quad IPv4 address: ${JSON.stringify(text)}`);
  }
  return Buffer.from(parts.map(Number)).toString('hex');
}

function ntoa(text: string): string {
  // parseInt(text, 16) would accept "0x7f0001" or "7f00001z": exactly 8 hex digits only.
  if (!/^[0-9a-fA-F]{8}$/.test(text)) throw new UsageError(`not 8 hex digits: ${JSON.stringify(text)}`);
  return [...Buffer.from(text, 'hex')].join('.');
}

const OPERATIONS: Record<string, (value: string) => string> = {
  htonl: (v) => String(convert32(parseDecimal(v, 0xffffffff))),
  ntohl: (v) => String(convert32(parseDecimal(v, 0xffffffff))),
  htons: (v) => String(convert16(parseDecimal(v, 0xffff))),
  ntohs: (v) => String(convert16(parseDecimal(v, 0xffff))),
  aton,
  ntoa,
};

function main(args: string[]): string {
  const [op, value] = args;
  if (args.length !== 2) throw new UsageError(`usage: netutil ${Object.keys(OPERATIONS).join('|')} VALUE`);
  const operation = OPERATIONS[op];
  if (!operation) throw new UsageError(`unknown operation ${JSON.stringify(op)} (expected one of ${Object.keys(OPERATIONS).join(', ')})`);
  return operation(value);
}

try {
  console.log(main(process.argv.slice(2)));
} catch (error) {
  if (!(error instanceof UsageError)) throw error;
  console.error(`netutil: ${error.message}`);
  process.exitCode = 2;
}
