/**
 * Answers a process finds out once and tells the processes it starts through an environment variable
 * (JSON: `where` -> answer): a child takes an answer only for the same `where`, i.e. everything the
 * answer depends on. Never passed into a jail (sandbox.ts passes only named variables).
 */
export function inheritedOrFound<T>(variable: string, where: string, find: () => T, keep: (found: T) => boolean = () => true): T {
  let told: Record<string, T> = {};
  try {
    const parsed: unknown = JSON.parse(process.env[variable] ?? '{}');
    if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) told = parsed as Record<string, T>;
  } catch {
    // not told, or not readable: found again
  }
  if (Object.prototype.hasOwnProperty.call(told, where)) return told[where];
  const found = find();
  if (keep(found)) process.env[variable] = JSON.stringify({ ...told, [where]: found });
  return found;
}
