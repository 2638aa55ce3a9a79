/** Safe extraction of a .zip submission (yauzl reads the central directory; the sink checks every entry). */
import yauzl, { type Entry, type ZipFile } from 'yauzl';
import { SubmissionError, type SubmissionLimits } from '../submission-limits';
import { ExtractionSink, type ArchiveEntry } from './sink';

const S_IFMT = 0o170000;
const S_IFLNK = 0o120000;

function describe(entry: Entry): Omit<ArchiveEntry, 'linkTarget'> {
  const mode = (entry.externalFileAttributes >>> 16) & 0xffff;
  const type = (mode & S_IFMT) === S_IFLNK ? 'symlink' : entry.fileName.endsWith('/') ? 'folder' : 'file';
  return { name: entry.fileName, type, size: entry.uncompressedSize, mode };
}

async function readSmall(zip: ZipFile, entry: Entry): Promise<string> {
  if (entry.uncompressedSize > 4096) throw new SubmissionError(`link "${entry.fileName}" is not a link (its target is ${entry.uncompressedSize} bytes long)`);
  const chunks: Buffer[] = [];
  for await (const chunk of await zip.openReadStreamPromise(entry)) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

async function eachEntry(zip: ZipFile, handle: (entry: Entry) => Promise<void>): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    zip.on('entry', (entry: Entry) => handle(entry).then(() => zip.readEntry(), reject));
    zip.on('end', resolve);
    zip.on('error', reject);
    zip.readEntry();
  });
}

export async function extractZip(file: string, dest: string, limits: SubmissionLimits): Promise<void> {
  let zip: ZipFile;
  try {
    zip = await yauzl.openPromise(file, { decodeStrings: true, validateEntrySizes: true, strictFileNames: false });
  } catch (error) {
    throw new SubmissionError(`not a readable zip archive: ${(error as Error).message}`);
  }
  const sink = new ExtractionSink(dest, limits);
  try {
    await eachEntry(zip, async (entry) => {
      const described = describe(entry);
      const linkTarget = described.type === 'symlink' ? await readSmall(zip, entry) : undefined;
      const target = sink.admit({ ...described, linkTarget });
      if (target) await sink.write(target, await zip.openReadStreamPromise(entry), described.mode);
    });
  } catch (error) {
    if (error instanceof SubmissionError) throw error;
    // yauzl's own checks: "invalid relative path: ../x", "absolute path: /x", bad sizes, corrupt data.
    const message = (error as Error).message;
    if (/relative path|absolute path|invalid characters/.test(message)) throw new SubmissionError(`unsafe archive, not extracted: ${message}`);
    throw new SubmissionError(`the zip archive could not be extracted: ${message}`);
  } finally {
    zip.close();
  }
}
