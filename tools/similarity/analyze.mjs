// Dolos over groups of files, for grader/similarity.ts, which starts this as a child process (Dolos is
// an ES module with native parsers: kept out of the grading process). stdin: {"top": N, "groups":
// [{"language", "files": [path...], "ignore": path?}]}; stdout: {"groups": [{"pairs": [...]}]}, each
// pair {left, right (indices into files), similarity, longest, overlap, fragments: [{left, right}]},
// the top N by similarity, fragments as 0-based row ranges.
import { Dolos } from '@dodona/dolos-lib';

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const input = JSON.parse(Buffer.concat(chunks).toString('utf8'));

const rows = (region) => ({ startRow: region.startRow, endRow: region.endRow });

const groups = [];
for (const group of input.groups) {
  if (group.files.length < 2) {
    groups.push({ pairs: [] });
    continue;
  }
  const dolos = new Dolos({ language: group.language });
  const report = await dolos.analyzePaths(group.files, group.ignore ?? undefined);
  const index = new Map(group.files.map((file, i) => [file, i]));
  const pairs = report
    .allPairs()
    .sort((a, b) => b.similarity - a.similarity || b.longest - a.longest)
    .slice(0, input.top)
    .map((pair) => ({
      left: index.get(pair.leftFile.path),
      right: index.get(pair.rightFile.path),
      similarity: pair.similarity,
      longest: pair.longest,
      overlap: pair.overlap,
      fragments: pair.buildFragments().map((f) => ({ left: rows(f.leftSelection), right: rows(f.rightSelection) })),
    }));
  groups.push({ pairs, warnings: report.warnings });
}
process.stdout.write(JSON.stringify({ groups }));
