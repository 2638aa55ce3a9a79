/** Safe extraction of a tar stream, gzipped or not (node-tar parses; the sink checks every entry). */
import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import { Parser, type ReadEntry } from 'tar';
import { SubmissionError, type SubmissionLimits } from '../submission-limits';
import { ExtractionSink, type EntryType } from './sink';

function typeOf(entry: ReadEntry): EntryType {
  switch (entry.type) {
    case 'File':
    case 'OldFile':
    case 'ContiguousFile':
      return 'file';
    case 'Directory':
      return 'folder';
    case 'SymbolicLink':
      return 'symlink';
    case 'Link':
      return 'hardlink';
    default:
      return 'other';
  }
}

export async function extractTar(input: Readable, dest: string, limits: SubmissionLimits): Promise<void> {
  const sink = new ExtractionSink(dest, limits);
  const writes: Promise<void>[] = [];
  try {
    await new Promise<void>((resolve, reject) => {
      const parser = new Parser({
        strict: true,
        noResume: true,
        onReadEntry: (entry) => {
          try {
            const target = sink.admit({ name: entry.path, type: typeOf(entry), size: entry.size, linkTarget: entry.linkpath, mode: entry.mode });
            if (target) writes.push(sink.write(target, entry as unknown as Readable, entry.mode).catch((error) => parser.abort(error)));
            else entry.resume();
          } catch (error) {
            parser.abort(error as Error);
          }
        },
      });
      parser.on('error', reject);
      parser.on('abort', reject);
      parser.on('end', resolve);
      input.on('error', reject);
      input.pipe(parser);
    });
    await Promise.all(writes);
  } catch (error) {
    input.destroy();
    if (error instanceof SubmissionError) throw error;
    throw new SubmissionError(`the tar archive could not be extracted: ${(error as Error).message}`);
  }
}

export function extractTarGz(file: string, dest: string, limits: SubmissionLimits): Promise<void> {
  return extractTar(createReadStream(file), dest, limits);
}
