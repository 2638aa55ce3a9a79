/**
 * `grade --similarity`: Dolos finds a copied-and-renamed submission as the top pair, does not flag
 * two independent solutions, leaves the starter out, and report.html / similarity.csv show it.
 * The selftest installs Dolos (tools/similarity) before it runs this.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DEFAULT_SUBMISSION_LIMITS } from '../grader/submission-limits';
import { analyseSimilarity, mergeRanges, similarityToolInstalled, type SimilarityReport } from '../grader/similarity';
import { OutputDir } from '../grader/store';
import { findSubmissions } from '../grader/submissions';
import { parseCommand, UsageError } from '../grader/cli/grade-args';
import { GRADING_STEP_LIMIT_MS } from './helpers/limits';
import { submission, udpExercise } from './helpers/sample-results';

jest.setTimeout(GRADING_STEP_LIMIT_MS);

const REPO = path.resolve(__dirname, '..');
const GOOD = readFileSync(path.join(REPO, 'fixtures', 'submissions', 'good-python', 'student', 'udp-upper-server.py'), 'utf8');
const STARTER = readFileSync(path.join(REPO, 'student', 'udp-upper-server.py'), 'utf8');

/** GOOD with every name changed, comments and blank lines moved: what a student hiding a copy does. */
const RENAMED = GOOD.replace(/\bdata\b/g, 'payload')
  .replace(/\baddr\b/g, 'peer')
  .replace(/\bs\b(?=[.( =])/g, 'sock')
  .replace(/\bfamily\b/g, 'fam')
  .replace(/\bmain\b(?!__)/g, 'serve')
  .replace(/\be\b(?=[:}])/g, 'err')
  .replace(/ {2}# .*$/gm, '')
  .replace('"""udp-upper-server HOST PORT', '# my own work\n"""UDP upper server: HOST PORT');

/** Written without looking at GOOD: socketserver instead of a bare socket. */
const INDEPENDENT = `import socket
import socketserver
import sys


class Upper(socketserver.BaseRequestHandler):
    def handle(self):
        payload, sock = self.request
        sock.sendto(payload.upper(), self.client_address)


class Server(socketserver.UDPServer):
    max_packet_size = 65536


if __name__ == "__main__":
    address = (sys.argv[1], int(sys.argv[2]))
    if ":" in address[0]:
        Server.address_family = socket.AF_INET6
    with Server(address, Upper) as server:
        server.serve_forever()
`;

test('overlapping fragments become one block of lines per shared run', () => {
  const f = (l0: number, l1: number, r0: number, r1: number) => ({ left: { startRow: l0, endRow: l1 }, right: { startRow: r0, endRow: r1 } });
  expect(mergeRanges([f(8, 14, 9, 15), f(2, 8, 3, 9), f(15, 15, 16, 16), f(30, 31, 2, 3)])).toEqual([f(2, 15, 3, 16), f(30, 31, 2, 3)]);
});

test('--similarity compares a whole class: not with --shard or --single', () => {
  const folder = mkdtempSync(path.join(tmpdir(), 'grade-args-'));
  try {
    expect(() => parseCommand([folder, '--similarity', '--shard', '1/2'], REPO, folder)).toThrow(UsageError);
    expect(() => parseCommand([folder, '--similarity', '--single'], REPO, folder)).toThrow(/needs a folder of them/);
    expect(parseCommand([folder, '--similarity'], REPO, folder)).toMatchObject({ command: 'grade', similarity: true });
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
});

describe('with Dolos', () => {
  let work: string;
  let report: SimilarityReport;

  beforeAll(async () => {
    // Installed by the selftest (ensureSimilarityTool); run alone, install it with npm ci --prefix tools/similarity.
    expect(similarityToolInstalled()).toBe(true);
    work = mkdtempSync(path.join(tmpdir(), 'grade-similarity-test-'));
    const write = (name: string, file: string, text: string) => {
      mkdirSync(path.join(work, name, 'student'), { recursive: true });
      writeFileSync(path.join(work, name, 'student', file), text);
    };
    write('ann', 'udp-upper-server.py', GOOD);
    write('dee', 'udp-upper-server.py', RENAMED);
    write('eve', 'udp-upper-server.py', INDEPENDENT);
    write('fin', 'udp-upper-server.py', STARTER); // only the starter: not attempted, not compared
    write('gus', 'udp-upper-server.ts', readFileSync(path.join(REPO, 'reference', 'udp-upper-server.ts'), 'utf8'));
    writeFileSync(path.join(work, 'hal.zip'), 'not a zip archive');
    report = await analyseSimilarity({ submissions: findSubmissions(work).submissions, exercises: ['udp-upper-server', 'tcp-client'], limits: DEFAULT_SUBMISSION_LIMITS });
  });
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  test('the copied-and-renamed submission is the top pair, flagged', () => {
    const python = report.exercises.find((e) => e.exercise === 'udp-upper-server' && e.language === 'python')!;
    expect([python.programs, python.starterLeftOut]).toEqual([3, true]);
    const [top] = python.pairs;
    expect([top.left, top.right, top.flagged]).toEqual(['ann', 'dee', true]);
    expect(top.similarity).toBeGreaterThan(0.9);
    expect(top.fragments[0].left.lines.join('\n')).toContain('s.bind((host, port))');
    expect(top.fragments[0].right.lines.join('\n')).toContain('sock.bind((host, port))');
  });

  test('two independent solutions are not flagged', () => {
    const python = report.exercises.find((e) => e.exercise === 'udp-upper-server' && e.language === 'python')!;
    const withEve = python.pairs.filter((p) => p.left === 'eve' || p.right === 'eve');
    expect(withEve).toHaveLength(2);
    for (const pair of withEve) expect([pair.flagged, pair.similarity < 0.3]).toEqual([false, true]);
  });

  test('each language on its own; an unreadable submission is named, not fatal', () => {
    expect(report.exercises.map((e) => `${e.exercise} ${e.language} ${e.programs}`)).toEqual(['udp-upper-server python 3', 'udp-upper-server typescript 1']);
    expect(report.exercises[1].pairs).toEqual([]);
    expect([report.submissions, report.unreadable]).toEqual([6, ['hal']]);
  });

  test('report.html shows the pairs and the shared lines side by side; similarity.csv lists them', () => {
    const out = new OutputDir(path.join(work, 'out'));
    out.saveSimilarity(report);
    out.saveSummary([submission('ann', [udpExercise()])]);
    const html = readFileSync(path.join(work, 'out', 'report.html'), 'utf8');
    expect(html).toContain('<h2 id="similarity">Similar programs</h2>');
    expect(html).toMatch(/<td>ann<\/td><td>dee<\/td><td class="num bad"><b>\d+ %<\/b> <span class="tag bad">flagged<\/span>/);
    expect(html).toContain('<details open><summary>shared fragments of ann and dee</summary><table class="side">');
    expect(html).toContain('Fewer than two programs: nothing to compare.');
    const csv = readFileSync(path.join(work, 'out', 'similarity.csv'), 'utf8').split('\r\n');
    expect(csv[0]).toBe('exercise,language,left,right,similarity,longest_fragment,flagged');
    expect(csv[1]).toMatch(/^udp-upper-server,python,ann,dee,0\.\d{3},\d+,yes$/);
  });
});
