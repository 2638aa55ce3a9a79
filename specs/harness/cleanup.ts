/** Things to undo when the current check ends (sockets, servers, programs), whatever happened. */
const pending: (() => unknown)[] = [];

export function onCleanup(undo: () => unknown): void {
  pending.push(undo);
}

export async function runCleanups(): Promise<void> {
  const undos = pending.splice(0).reverse();
  await Promise.allSettled(undos.map(async (undo) => undo()));
}
