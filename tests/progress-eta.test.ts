import { Eta } from '../grader/progress';

describe('the ETA of a grading run (progress.ts)', () => {
  test('with jobs finishing together, the time left is the remaining work shared among the jobs', () => {
    let now = 0;
    const eta = new Eta(() => now);
    eta.begin(6, 2);
    expect(eta.leftMs()).toBeUndefined(); // nothing graded yet: nothing to go by
    eta.started('a');
    eta.started('b');
    now = 10_000;
    eta.finished('a', 10_000);
    eta.started('c');
    // b has had its 10 s and finishes now, c and d take 10 s, e and f 10 s more: 20 s.
    expect(eta.leftMs()).toBe(20_000);
    eta.finished('b', 10_000);
    eta.started('d');
    expect(eta.leftMs()).toBe(20_000);
  });

  test('unchanged submissions count as done but not as a duration', () => {
    const now = 0;
    const eta = new Eta(() => now);
    eta.begin(3, 1);
    eta.started('a');
    eta.finished('a');
    expect(eta.leftMs()).toBeUndefined();
    eta.started('b');
    eta.finished('b', 4_000);
    expect(eta.leftMs()).toBe(4_000);
    eta.finished('c', 4_000);
    expect(eta.leftMs()).toBe(0);
  });

  test('the old estimate (time so far / finished) would have been off by the number of jobs', () => {
    // 8 submissions, 4 jobs, 10 s each: after the first 4 finish together at 10 s, 10 s are left.
    let now = 0;
    const eta = new Eta(() => now);
    eta.begin(8, 4);
    for (const name of ['a', 'b', 'c', 'd']) eta.started(name);
    now = 10_000;
    eta.finished('a', 10_000);
    eta.started('e');
    expect(eta.leftMs()).toBeCloseTo((7 * 10_000 - 3 * 10_000) / 4);
  });
});
