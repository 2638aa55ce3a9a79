/**
 * `npm run bench:wire`: what the exchange timelines and `grade --capture` cost.
 *  1. one timeline event recorded (always on: every send, receive, connect... of a check), and the
 *     three drawings of a full timeline (100 events);
 *  2. the sample submissions graded from scratch without and with --capture, alternating, ROUNDS
 *     times each (wall and CPU seconds of the whole process tree, and the ratio).
 */
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { timelineMermaid, timelineSvg, timelineText } from '../grader/report/timeline';
import { bytesOf, MAX_EVENTS, Timeline } from '../specs/harness/timeline';
import { interrupted, runGrade, type GradeOutcome } from './measured-grade';

const EVENTS = 1_000_000;
const DRAWINGS = 2_000;
const ROUNDS = Number(process.env.ROUNDS ?? 2);

function perEvent(): { wallUs: number; cpuUs: number } {
  const data = Buffer.alloc(1024, 0x61);
  const cpu = process.cpuUsage();
  const started = performance.now();
  let timeline = new Timeline();
  for (let i = 0; i < EVENTS; i++) {
    if (i % MAX_EVENTS === 0) timeline = new Timeline();
    timeline.add({ kind: 'send', from: 'grader', to: 'program', via: 'TCP :41234', ...bytesOf(data) });
  }
  const used = process.cpuUsage(cpu);
  return { wallUs: ((performance.now() - started) * 1000) / EVENTS, cpuUs: (used.user + used.system) / EVENTS };
}

function perDrawing(): Record<string, number> {
  const timeline = new Timeline();
  for (let i = 0; i < MAX_EVENTS; i++) timeline.add({ kind: i % 2 ? 'receive' : 'send', from: i % 2 ? 'program' : 'grader', to: i % 2 ? 'grader' : 'program', via: 'TCP :41234', ...bytesOf(`message ${i}\n`) });
  const record = timeline.record();
  const out: Record<string, number> = {};
  for (const [name, draw] of Object.entries({ text: timelineText, mermaid: timelineMermaid, svg: timelineSvg })) {
    const started = performance.now();
    for (let i = 0; i < DRAWINGS; i++) draw(record);
    out[name] = (performance.now() - started) / DRAWINGS;
  }
  return out;
}

function captureBytes(out: string): { files: number; bytes: number } {
  let files = 0;
  let bytes = 0;
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const file = path.join(dir, name);
      if (statSync(file).isDirectory()) walk(file);
      else if (name.endsWith('.pcap')) {
        files += 1;
        bytes += statSync(file).size;
      }
    }
  };
  walk(out);
  return { files, bytes };
}

async function gradeRuns(): Promise<void> {
  const work = mkdtempSync(path.join(tmpdir(), 'bench-wire-'));
  const runs: Record<'plain' | 'capture', GradeOutcome[]> = { plain: [], capture: [] };
  try {
    for (let round = 0; round < ROUNDS && !interrupted(); round++) {
      for (const how of ['plain', 'capture'] as const) {
        const out = path.join(work, `${how}-${round}`);
        const outcome = await runGrade(['--out', out, '--force', ...(how === 'capture' ? ['--capture'] : [])]);
        if (outcome.code !== 0) throw new Error(`grade ${how} failed (${outcome.code}):\n${outcome.stdout}${outcome.stderr}`);
        if (how === 'capture' && !/^capture: each failing/m.test(outcome.stdout)) {
          console.log(`--capture is not possible here: ${/^capture: .*$/m.exec(outcome.stdout)?.[0] ?? 'no capture line'}`);
          return;
        }
        runs[how].push(outcome);
        if (how === 'capture' && round === 0) {
          const { files, bytes } = captureBytes(out);
          console.log(`--capture wrote ${files} pcap files, ${(bytes / 1024).toFixed(0)} KiB in all`);
        }
      }
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
  const row = (how: 'plain' | 'capture') => ({ wall: median(runs[how].map((r) => r.wallMs)) / 1000, cpu: median(runs[how].map((r) => r.cpuMs)) / 1000 });
  const [plain, capture] = [row('plain'), row('capture')];
  console.log(`fixtures/submissions from scratch, median of ${runs.plain.length}:`);
  console.log(`  without --capture  ${plain.wall.toFixed(1)} s wall  ${plain.cpu.toFixed(1)} CPU-s`);
  console.log(`  with --capture     ${capture.wall.toFixed(1)} s wall  ${capture.cpu.toFixed(1)} CPU-s`);
  console.log(`  ratio              ${(capture.wall / plain.wall).toFixed(2)} wall  ${(capture.cpu / plain.cpu).toFixed(2)} CPU`);
}

const event = perEvent();
console.log(`one timeline event: ${event.wallUs.toFixed(2)} µs wall, ${event.cpuUs.toFixed(2)} µs CPU (${EVENTS} recorded)`);
const drawings = perDrawing();
console.log(`drawing a ${MAX_EVENTS}-event timeline: ${Object.entries(drawings).map(([name, ms]) => `${name} ${ms.toFixed(3)} ms`).join(', ')}`);
if (!process.argv.includes('--no-grade')) void gradeRuns();
