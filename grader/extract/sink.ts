/**
 * Where an archive's (or a git commit's) entries land, whatever the format: every name is checked
 * before anything is written (no absolute path, no "..": no zip slip), links are never created (one
 * pointing outside the submission makes it a bad archive), skipped folders are not written, and the
 * entry count and the bytes written are bounded.
 */
import { createWriteStream, mkdirSync } from 'node:fs';
import path from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { mib, SubmissionError, type SubmissionLimits } from '../submission-limits';
import { isExcluded } from '../student-files';

export type EntryType = 'file' | 'folder' | 'symlink' | 'hardlink' | 'other';

export interface ArchiveEntry {
  name: string;
  type: EntryType;
  /** Declared size in bytes (files). */
  size: number;
  /** Where a link points (symlink: relative to the link's folder; hard link: to the archive's root). */
  linkTarget?: string;
  /** Unix mode bits when the archive has them. */
  mode?: number;
}

export function unsafe(reason: string): SubmissionError {
  return new SubmissionError(`unsafe archive, not extracted: ${reason}`);
}

/** The entry's name as a clean relative path; throws on anything that could land outside. */
export function safeRelativePath(raw: string): string {
  const name = raw.replace(/\\/g, '/');
  if (name.startsWith('/') || /^[a-zA-Z]:/.test(name)) throw unsafe(`entry "${raw}" has an absolute path`);
  const parts = name.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.includes('..')) throw unsafe(`entry "${raw}" points outside the archive ("..")`);
  if (parts.some((p) => p.includes('\0'))) throw unsafe(`entry "${raw}" has a NUL byte in its name`);
  return parts.join('/');
}

function pointsOutside(from: string, target: string): boolean {
  if (target.startsWith('/') || /^[a-zA-Z]:/.test(target)) return true;
  const resolved = path.posix.normalize(path.posix.join(from, target.replace(/\\/g, '/')));
  return resolved === '..' || resolved.startsWith('../');
}

export class ExtractionSink {
  private entries = 0;
  private declared = 0;
  private written = 0;

  constructor(
    readonly dest: string,
    private readonly limits: Pick<SubmissionLimits, 'maxArchiveEntries' | 'maxArchiveBytes'>,
  ) {
    mkdirSync(dest, { recursive: true });
  }

  /** Checks one entry; returns where to write its content, or undefined when nothing is written. */
  admit(entry: ArchiveEntry): string | undefined {
    this.entries += 1;
    if (this.entries > this.limits.maxArchiveEntries) throw new SubmissionError(`the archive has more than ${this.limits.maxArchiveEntries} entries`);
    const name = safeRelativePath(entry.name);
    if (entry.type === 'symlink' && pointsOutside(path.posix.dirname(name), entry.linkTarget ?? '')) {
      throw unsafe(`link "${entry.name}" points outside the submission (to "${entry.linkTarget}")`);
    }
    if (entry.type === 'hardlink' && pointsOutside('.', entry.linkTarget ?? '')) {
      throw unsafe(`hard link "${entry.name}" points outside the submission (to "${entry.linkTarget}")`);
    }
    // Skipped entries count too: a tar archive's must still be decompressed to get past them.
    if (entry.type === 'file') this.declared += entry.size;
    if (this.declared > this.limits.maxArchiveBytes) throw this.tooBig();
    if (name === '' || isExcluded(name) || (entry.type !== 'file' && entry.type !== 'folder')) return undefined;
    const target = path.resolve(this.dest, name);
    if (!target.startsWith(this.dest + path.sep)) throw unsafe(`entry "${entry.name}" resolves outside the destination`);
    if (entry.type === 'folder') {
      mkdirSync(target, { recursive: true });
      return undefined;
    }
    mkdirSync(path.dirname(target), { recursive: true });
    return target;
  }

  /** Writes an admitted file, counting the bytes that really arrive (declared sizes can lie). */
  async write(target: string, content: Readable, mode = 0o644): Promise<void> {
    const counter = new Transform({
      transform: (chunk: Buffer, _encoding, done) => {
        this.written += chunk.length;
        done(this.written > this.limits.maxArchiveBytes ? this.tooBig() : null, chunk);
      },
    });
    await pipeline(content, counter, createWriteStream(target, { mode: mode & 0o111 ? 0o755 : 0o644 }));
  }

  private tooBig(): SubmissionError {
    return new SubmissionError(`the archive expands to more than ${mib(this.limits.maxArchiveBytes)}`);
  }
}
