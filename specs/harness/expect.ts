/**
 * Byte matchers whose failures a student can act on: what was sent, what was expected, what came
 * back (as a hex dump where the bytes are not plain text), where they first differ, and a hint.
 */

export class CheckFailure extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CheckFailure';
    // The harness's stack frames mean nothing to a student: show the message alone.
    this.stack = `${this.name}: ${message}`;
  }
}

const PRINTABLE = /^[\x20-\x7e\t\r\n]*$/;

/** A short, readable rendering: quoted text when printable, else a hex dump; long data elided. */
export function showBytes(data: Buffer | undefined, max = 64): string {
  if (data === undefined) return 'nothing';
  if (data.length === 0) return '0 bytes (empty)';
  const size = `${data.length} byte${data.length === 1 ? '' : 's'}`;
  if (data.length <= max && PRINTABLE.test(data.toString('latin1'))) return `${size}: ${JSON.stringify(data.toString('latin1'))}`;
  return `${size}:\n${hexdump(data, max)}`;
}

/** `xxd`-style lines: offset, 16 hex bytes, ASCII. Shows the first `max` bytes. */
export function hexdump(data: Buffer, max = 128, start = 0): string {
  const lines: string[] = [];
  const end = Math.min(data.length, start + max);
  for (let offset = start - (start % 16); offset < end; offset += 16) {
    const row = data.subarray(offset, Math.min(offset + 16, end));
    const hex = [...row].map((b) => b.toString(16).padStart(2, '0')).join(' ');
    const ascii = [...row].map((b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.')).join('');
    lines.push(`    ${offset.toString(16).padStart(8, '0')}  ${hex.padEnd(47)}  ${ascii}`);
  }
  if (end < data.length) lines.push(`    ... ${data.length - end} more bytes`);
  return lines.join('\n');
}

export function firstDifference(a: Buffer, b: Buffer): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return a.length === b.length ? -1 : n;
}

export interface Context {
  /** One line saying what the check did, e.g. "sent 1 datagram to 127.0.0.1:40000". */
  did: string;
  sent?: Buffer;
  hint?: string;
}

export function fail(what: string, context: Partial<Context> & { details?: string[] } = {}): never {
  const lines = [what];
  if (context.did) lines.push(`  did:      ${context.did}`);
  if (context.sent) lines.push(`  sent:     ${indentMore(showBytes(context.sent))}`);
  for (const detail of context.details ?? []) lines.push(`  ${detail}`);
  if (context.hint) lines.push(`  hint:     ${context.hint}`);
  throw new CheckFailure(lines.join('\n'));
}

function indentMore(text: string): string {
  return text.replace(/\n/g, '\n  ');
}

/** Fails unless `actual` is exactly `expected`; `actual` undefined means nothing came back. */
export function expectBytes(actual: Buffer | undefined, expected: Buffer, context: Context & { what?: string }): void {
  if (actual !== undefined && actual.equals(expected)) return;
  const details = [`expected: ${indentMore(showBytes(expected))}`, `received: ${indentMore(showBytes(actual))}`];
  if (actual !== undefined && actual.length > 0) {
    const at = firstDifference(actual, expected);
    if (at >= 0) {
      details.push(`first difference at byte ${at}` + (at < Math.min(actual.length, expected.length) ? `: expected 0x${hex(expected[at])}, got 0x${hex(actual[at])}` : ` (lengths ${actual.length} vs ${expected.length})`));
      if (at >= 64) {
        if (at < expected.length) details.push(`expected from byte ${at}:\n${hexdump(expected, 32, at)}`);
        if (at < actual.length) details.push(`received from byte ${at}:\n${hexdump(actual, 32, at)}`);
      }
    }
  }
  fail(context.what ?? 'The reply is not what was expected.', { ...context, details });
}

function hex(byte: number): string {
  return byte.toString(16).padStart(2, '0');
}
