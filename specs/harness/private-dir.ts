/**
 * Folders the grader keeps its own files in (the build cache, jest's cache): private to the user who
 * runs it, never a fixed, shared name in the temporary folder. On a machine shared by students and
 * TAs, whoever creates such a name first owns it, and could plant files there that the grader would
 * then trust and run. A folder is trusted only when it is a real folder (not a symbolic link), owned
 * by this user, open to nobody else, and every folder above it is owned by this user or root and
 * writable by nobody else (or sticky, like /tmp); otherwise a fresh private temporary folder is used.
 */
import { chmodSync, lstatSync, mkdirSync, readFileSync, realpathSync, rmSync, statSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import path from 'node:path';
import { runTempFolder } from './run-temp';

const STICKY = 0o1000;

/**
 * Who may own the folders above a trusted one: this user and root. Inside a user namespace that does
 * not map root (the grading namespaces of an ordinary user, grader/isolation.ts), root's folders (/,
 * /tmp, /home) show as the kernel's overflow user id: that one too, there (an unmapped owner cannot
 * be told apart from root; the folder itself is always checked to be ours).
 */
function trustedOwners(me: number): Set<number> {
  const owners = new Set([me, 0]);
  try {
    const rootMapped = readFileSync('/proc/self/uid_map', 'utf8')
      .trim()
      .split('\n')
      .map((line) => line.trim().split(/\s+/).map(Number))
      .some(([, outside, count]) => outside <= 0 && 0 < outside + count);
    if (!rootMapped) owners.add(Number(readFileSync('/proc/sys/kernel/overflowuid', 'utf8').trim()));
  } catch {
    // not Linux: no user namespaces
  }
  return owners;
}

/** The folder's real path when it can be trusted (see above), else why not. */
export function trustedFolder(dir: string): { dir: string } | { reason: string } {
  let real: string;
  try {
    const stat = lstatSync(dir);
    if (stat.isSymbolicLink()) return { reason: `${dir} is a symbolic link` };
    if (!stat.isDirectory()) return { reason: `${dir} is not a folder` };
    // The folder itself is no link; realpath resolves the links above it (a home under /usr/home).
    real = realpathSync(dir);
  } catch (error) {
    return { reason: (error as Error).message };
  }
  const me = process.getuid?.();
  if (me === undefined) return { dir: real }; // no owners to check (Windows)
  const own = statSync(real);
  if (own.uid !== me) return { reason: `${dir} belongs to user ${own.uid}, not to this user (${me})` };
  if (own.mode & 0o022) return { reason: `${dir} is writable by other users (mode ${(own.mode & 0o7777).toString(8)})` };
  const owners = trustedOwners(me);
  for (let parent = path.dirname(real); ; parent = path.dirname(parent)) {
    const stat = statSync(parent);
    if (!owners.has(stat.uid)) return { reason: `${parent}, above ${dir}, belongs to user ${stat.uid}` };
    if (stat.mode & 0o022 && !(stat.mode & STICKY)) return { reason: `${parent}, above ${dir}, is writable by other users` };
    if (parent === path.dirname(parent)) break;
  }
  return { dir: real };
}

/** Creates `dir` (mode 0700) if needed and returns its real path when it can be trusted; closes it to others when it is ours. */
export function privateFolder(dir: string): { dir: string } | { reason: string } {
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  } catch (error) {
    return { reason: (error as Error).message };
  }
  const trusted = trustedFolder(dir);
  if ('dir' in trusted) {
    const mode = statSync(trusted.dir).mode & 0o777;
    // Readable by others, not writable: ours, but what it holds (students' programs) is nobody else's business.
    if (mode & 0o077) chmodSync(trusted.dir, mode & 0o700);
  }
  return trusted;
}

/** The user's cache folder: $XDG_CACHE_HOME, else ~/.cache (an absolute path, or undefined). */
export function userCacheBase(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const xdg = env.XDG_CACHE_HOME;
  if (xdg && path.isAbsolute(xdg)) return xdg;
  let home: string;
  try {
    home = homedir();
  } catch {
    return undefined;
  }
  return home && path.isAbsolute(home) ? path.join(home, '.cache') : undefined;
}

const temporary: string[] = [];
let cleanupRegistered = false;

/** A fresh folder of this process's own in the temporary folder (mode 0700), removed when the process exits. */
export function privateTempFolder(prefix: `socket-grader-${string}`): string {
  const dir = runTempFolder(prefix);
  const trusted = trustedFolder(dir);
  if (!('dir' in trusted)) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`the temporary folder cannot be trusted: ${trusted.reason}`);
  }
  temporary.push(trusted.dir);
  if (!cleanupRegistered) {
    cleanupRegistered = true;
    process.once('exit', () => {
      for (const folder of temporary) rmSync(folder, { recursive: true, force: true });
    });
  }
  return trusted.dir;
}

/**
 * `<user cache>/socket-grader/<name>` when it can be made private; else `socket-grader-<uid>/<name>`
 * in the temporary folder when that is ours (whoever made that name first only makes us skip it);
 * else a fresh private temporary folder of this process. `why` receives why the user's cache was not used.
 */
export function graderCacheFolder(name: string, why?: (reason: string) => void): string {
  const base = userCacheBase();
  if (base) {
    const cache = privateFolder(path.join(base, 'socket-grader', name));
    if ('dir' in cache) return cache.dir;
    why?.(cache.reason);
  } else {
    why?.('this user has no home folder');
  }
  const uid = process.getuid?.();
  if (uid !== undefined) {
    const own = path.join(tmpdir(), `socket-grader-${uid}`);
    const parent = privateFolder(own);
    if ('dir' in parent) {
      const cache = privateFolder(path.join(parent.dir, name));
      if ('dir' in cache) return cache.dir;
    }
  }
  return privateTempFolder(`socket-grader-${name}-`);
}
