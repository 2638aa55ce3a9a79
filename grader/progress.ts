/**
 * Progress while grading: on a terminal a bar (done / total, errors, ETA, what is running) with
 * cli-progress; otherwise (a pipe, a log file, CI=true) one plain line per finished submission.
 */
import { MultiBar, type SingleBar } from 'cli-progress';
import type { SubmissionResult } from '../specs/harness/results';

export type Finish = 'graded' | 'unchanged';

export interface Progress {
  begin(total: number): void;
  finished(result: SubmissionResult, how: Finish): void;
  /** A line printed above the bar (or as is). */
  note(text: string): void;
  end(): void;
}

export function formatDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  return s < 60 ? `${s}s` : `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
}

function describe(result: SubmissionResult, how: Finish): string {
  const score = `${result.score}/${result.max}`;
  if (how === 'unchanged') return `${score} (unchanged, not regraded)`;
  const error = result.error ? `  ERROR: ${result.error.split('\n')[0]}` : '';
  return `${score} in ${(result.durationMs / 1000).toFixed(1)} s${error}`;
}

/** One line per finished submission, with the count, errors so far and an estimate of the time left. */
export function plainProgress(write: (line: string) => void = (line) => process.stdout.write(`${line}\n`)): Progress {
  let total = 0;
  let done = 0;
  let errors = 0;
  let started = Date.now();
  return {
    begin(count) {
      total = count;
      started = Date.now();
      write(`grading ${count} submission${count === 1 ? '' : 's'}`);
    },
    finished(result, how) {
      done += 1;
      if (result.error) errors += 1;
      const left = done < total ? ` · ETA ${formatDuration(((Date.now() - started) / done) * (total - done))}` : '';
      const width = String(total).length;
      write(`[${String(done).padStart(width)}/${total}] ${result.name}: ${describe(result, how)}${errors ? ` · ${errors} error${errors === 1 ? '' : 's'} so far` : ''}${left}`);
    },
    note: write,
    end() {},
  };
}

export function barProgress(stream: NodeJS.WriteStream = process.stderr): Progress {
  const bars = new MultiBar({
    stream,
    format: 'grading [{bar}] {value}/{total} · errors: {errors} · ETA {eta_formatted} · {last}',
    barsize: 30,
    hideCursor: true,
    etaBuffer: 20,
    fps: 5,
  });
  let bar: SingleBar | undefined;
  let errors = 0;
  return {
    begin(total) {
      bar = bars.create(total, 0, { errors: 0, last: '' });
    },
    finished(result, how) {
      if (result.error) {
        errors += 1;
        bars.log(`${result.name}: ${describe(result, how)}\n`);
      }
      bar?.increment(1, { errors, last: `${result.name} ${result.score}/${result.max}` });
    },
    note: (text) => bars.log(`${text}\n`),
    end: () => bars.stop(),
  };
}

export function chooseProgress(): Progress {
  const ci = Boolean(process.env.CI) && process.env.CI !== 'false' && process.env.CI !== '0';
  return process.stderr.isTTY && !ci ? barProgress() : plainProgress();
}
