/**
 * Things to undo when the current check ends (sockets, servers, programs), whatever happened. Each
 * check has its own list (AsyncLocalStorage follows it through its awaits), so checks can run side
 * by side; what is registered outside any check is undone by runCleanups() without a scope.
 */
import { AsyncLocalStorage } from 'node:async_hooks';

type Undo = () => unknown;

const scope = new AsyncLocalStorage<Undo[]>();
const unscoped: Undo[] = [];

export function onCleanup(undo: Undo): void {
  (scope.getStore() ?? unscoped).push(undo);
}

/** Runs `work` with a cleanup list of its own, and undoes everything it registered when it ends. */
export async function withCleanups<T>(work: () => Promise<T>): Promise<T> {
  const undos: Undo[] = [];
  try {
    return await scope.run(undos, work);
  } finally {
    await undoAll(undos);
  }
}

export async function runCleanups(): Promise<void> {
  await undoAll(unscoped);
}

async function undoAll(undos: Undo[]): Promise<void> {
  const steps = undos.splice(0).reverse();
  await Promise.allSettled(steps.map(async (undo) => undo()));
}
