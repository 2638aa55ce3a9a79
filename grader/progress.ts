/**
 * Progress while grading: on a terminal a bar (done / total, errors, ETA, what is running) with
 * cli-progress; otherwise (a pipe, a log file, CI=true) one plain line per finished submission.
 */
import { MultiBar, type SingleBar } from 'cli-progress';
import type { SubmissionResult } from '../specs/harness/results';

export type Finish = 'graded' | 'unchanged';

export interface Progress {
  begin(total: number, jobs: number): void;
  /** A submission's grading begins (after its turn came). */
  started(name: string): void;
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

/**
 * The time left: every submission not finished yet takes the mean time of those graded so far, the
 * ones being graded less the time they have had, all shared among the jobs. (Dividing the time so far
 * by the count finished would be off by up to the number of jobs early on, when they finish together.)
 */
export class Eta {
  private total = 0;
  private jobs = 1;
  private done = 0;
  private readonly durations: number[] = [];
  private readonly running = new Map<string, number>();

  constructor(private readonly now: () => number = Date.now) {}

  begin(total: number, jobs: number): void {
    [this.total, this.jobs] = [total, Math.max(1, jobs)];
  }

  started(name: string): void {
    this.running.set(name, this.now());
  }

  /** `gradedMs`: how long it took, when it was graded (not when it was unchanged). */
  finished(name: string, gradedMs?: number): void {
    this.running.delete(name);
    this.done += 1;
    if (gradedMs !== undefined) this.durations.push(gradedMs);
  }

  /** Undefined until one submission has been graded. */
  leftMs(): number | undefined {
    const left = this.total - this.done;
    if (this.durations.length === 0 || left <= 0) return left <= 0 ? 0 : undefined;
    const mean = this.durations.reduce((sum, ms) => sum + ms, 0) / this.durations.length;
    const had = [...this.running.values()].reduce((sum, since) => sum + Math.min(mean, this.now() - since), 0);
    return Math.max(0, (left * mean - had) / Math.min(this.jobs, left));
  }
}

/** One line per finished submission, with the count, errors so far and an estimate of the time left. */
export function plainProgress(write: (line: string) => void = (line) => process.stdout.write(`${line}\n`)): Progress {
  let total = 0;
  let done = 0;
  let errors = 0;
  const eta = new Eta();
  return {
    begin(count, jobs) {
      total = count;
      eta.begin(count, jobs);
      write(`grading ${count} submission${count === 1 ? '' : 's'}`);
    },
    started: (name) => eta.started(name),
    finished(result, how) {
      done += 1;
      if (result.error) errors += 1;
      eta.finished(result.name, how === 'graded' ? result.durationMs : undefined);
      const leftMs = eta.leftMs();
      const left = done < total && leftMs !== undefined ? ` · ETA ${formatDuration(leftMs)}` : '';
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
    format: 'grading [{bar}] {value}/{total} · errors: {errors} · ETA {left} · {last}',
    barsize: 30,
    hideCursor: true,
    etaBuffer: 20,
    fps: 5,
  });
  let bar: SingleBar | undefined;
  let errors = 0;
  const eta = new Eta();
  const left = () => {
    const ms = eta.leftMs();
    return ms === undefined ? '…' : formatDuration(ms);
  };
  return {
    begin(total, jobs) {
      eta.begin(total, jobs);
      bar = bars.create(total, 0, { errors: 0, last: '', left: left() });
    },
    started: (name) => eta.started(name),
    finished(result, how) {
      eta.finished(result.name, how === 'graded' ? result.durationMs : undefined);
      if (result.error) {
        errors += 1;
        bars.log(`${result.name}: ${describe(result, how)}\n`);
      }
      bar?.increment(1, { errors, last: `${result.name} ${result.score}/${result.max}`, left: left() });
    },
    note: (text) => bars.log(`${text}\n`),
    end: () => bars.stop(),
  };
}

export function chooseProgress(): Progress {
  const ci = Boolean(process.env.CI) && process.env.CI !== 'false' && process.env.CI !== '0';
  return process.stderr.isTTY && !ci ? barProgress() : plainProgress();
}
