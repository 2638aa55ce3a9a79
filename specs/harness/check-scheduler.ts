/**
 * Starts the checks of a test file side by side, across its exercises. jest runs `test.concurrent`
 * only among the tests of one describe block, and each exercise is one (results.ts groups by it), so
 * the checks are started here instead: in the order they were registered, at most `limit` at a time,
 * once jest begins the file's first check. Each jest test then awaits its own check (started already,
 * or started at once when jest reaches it first). A check that jest's -t pattern leaves out is not
 * started.
 */
interface Entry {
  /** jest's name for the test: its describe titles and title, joined by spaces (what -t matches). */
  name: string;
  work: () => Promise<void>;
  outcome?: Promise<void>;
}

export class CheckScheduler {
  private readonly queue: Entry[] = [];
  private running = 0;
  private begun = false;

  constructor(private readonly limit: () => number) {}

  /** Registers a check; returns the body of its jest test. */
  add(name: string, work: () => Promise<void>): () => Promise<void> {
    const entry: Entry = { name, work };
    this.queue.push(entry);
    return () => {
      this.begun = true;
      this.pump();
      return this.start(entry);
    };
  }

  private start(entry: Entry): Promise<void> {
    if (entry.outcome) return entry.outcome;
    const index = this.queue.indexOf(entry);
    if (index >= 0) this.queue.splice(index, 1);
    this.running += 1;
    entry.outcome = entry.work().finally(() => {
      this.running -= 1;
      this.pump();
    });
    entry.outcome.catch(() => undefined); // jest awaits it later and reports the failure then
    return entry.outcome;
  }

  private pump(): void {
    if (!this.begun) return;
    const pattern = testNamePattern();
    while (this.running < this.limit()) {
      const next = this.queue.find((entry) => !pattern || pattern.test(entry.name));
      if (!next) return;
      this.start(next);
    }
  }
}

/** The -t pattern of this jest run, from jest-circus's state (undefined when there is none, or outside jest). */
function testNamePattern(): RegExp | undefined {
  const key = Object.getOwnPropertySymbols(globalThis).find((symbol) => symbol.description === 'JEST_STATE_SYMBOL');
  const state = key ? (globalThis as unknown as Record<symbol, { testNamePattern?: RegExp | null }>)[key] : undefined;
  return state?.testNamePattern ?? undefined;
}
