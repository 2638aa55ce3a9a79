/**
 * Reading /proc, which the harness does many times a second per running program (process-tree.ts,
 * ready.ts, fair-timer.ts). Its files report a size of 0, so fs.readFileSync reads each through a
 * fresh 64-KiB buffer; one buffer, reused (and grown for a large socket table), costs far less.
 */
import { closeSync, openSync, readdirSync, readSync } from 'node:fs';

let buffer = Buffer.allocUnsafe(16 * 1024);

/** The file's text, or undefined when it cannot be read (a process gone meanwhile, say). */
export function readProc(file: string): string | undefined {
  let fd: number | undefined;
  try {
    fd = openSync(file, 'r');
    let length = 0;
    for (;;) {
      if (length === buffer.length) {
        const bigger = Buffer.allocUnsafe(buffer.length * 2);
        buffer.copy(bigger, 0, 0, length);
        buffer = bigger;
      }
      const got = readSync(fd, buffer, length, buffer.length - length, null);
      if (got === 0) break;
      length += got;
    }
    return buffer.toString('latin1', 0, length);
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** The folder's entries, or none when it cannot be read. */
export function listProc(folder: string): string[] {
  try {
    return readdirSync(folder);
  } catch {
    return [];
  }
}

/** The fields of each row of a /proc/net socket table (tcp, udp6, unix...), header skipped. */
export function socketTableRows(file: string): string[][] {
  return (readProc(file) ?? '')
    .split('\n')
    .slice(1)
    .map((line) => line.trim().split(/\s+/))
    .filter((fields) => fields.length >= 7);
}
