/**
 * The util-linux jail (sandbox.ts's "unshare" backend): setpriv makes it die with its parent,
 * unshare gives it fresh PID, mount, IPC and UTS namespaces (and a user namespace when the grader is
 * not root), and jail.sh, PID 1 there, mounts the program's view and runs the program.
 *
 * Starting programs costs here (a few milliseconds each, on every program start), so the folders,
 * links and mount points of a view are laid out once per process on the host, in a folder of this
 * process's ("template"), which jail.sh bind-mounts as the jail's root, and the mounts are written there
 * once as fstab files, each mounted by one `mount --all` (one process instead of one per mount). Only
 * what lies inside the jail's own tmpfs mounts (a check folder in /tmp) is created in the jail, between
 * two such files.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { isInside, lockedFlags, type ViewStep } from './jail-view';
import { runTempFolder } from './run-temp';

const JAIL_SCRIPT = path.join(__dirname, 'jail.sh');
/** What jail.sh binds into the jail's /dev (as bubblewrap's --dev does), and the links beside them. */
export const DEVICE_NODES = ['null', 'zero', 'full', 'random', 'urandom', 'tty'];
const DEVICE_LINKS: [string, string][] = [['fd', '/proc/self/fd'], ['stdin', '/proc/self/fd/0'], ['stdout', '/proc/self/fd/1'], ['stderr', '/proc/self/fd/2']];

let area: string | undefined;
const templates = new Map<string, { root: string; inside: string[] }>();

/** `unshare ... sh jail.sh ROOT FLAGS CWD STEPS -- command`, to run under `setpriv`. */
export function unshareJailArgs(steps: ViewStep[], cwd: string, asRoot: boolean, command: string[]): string[] {
  const { root, inside } = template(steps);
  return [
    '--pdeathsig', 'KILL', '--',
    'unshare', ...(asRoot ? [] : ['--map-current-user', '--keep-caps']),
    '--pid', '--fork', '--kill-child', '--mount', '--propagation', 'private', '--ipc', '--uts', '--',
    'sh', JAIL_SCRIPT, root, ['ro', ...lockedFlags(root)].join(','), cwd, ...inside, '--',
    ...command,
  ];
}

/** The host folder laid out for these steps and its fstab files (made once per process), and the steps left for jail.sh. */
function template(steps: ViewStep[]): { root: string; inside: string[] } {
  const key = createHash('sha256').update(JSON.stringify(steps)).digest('hex').slice(0, 16);
  let made = templates.get(key);
  if (!made) {
    const root = path.join(jailArea(), key);
    layOut(root, steps);
    made = { root, inside: scriptSteps(steps, root) };
    templates.set(key, made);
  }
  return made;
}

/** Inherited by the processes this one starts (jest's workers), whose laid-out views live inside it. */
const SHARED_AREA = 'GRADER_JAIL_AREA';

/**
 * This process's folder of laid-out views. The first process of a run that jails (npm test, grade, the
 * selftest: their sandbox detection jails a probe) owns the area and removes it when it exits; the
 * processes it starts, which may be killed without a chance to clean up, work in folders inside it.
 */
function jailArea(): string {
  if (!area) {
    const shared = process.env[SHARED_AREA];
    try {
      if (shared && path.isAbsolute(shared)) area = mkdtempSync(path.join(shared, `${process.pid}-`));
    } catch {
      // its owner is gone: make one of our own
    }
    if (!area) {
      const made = runTempFolder('socket-grader-jail-');
      area = made;
      process.env[SHARED_AREA] = made;
      process.once('exit', () => rmSync(made, { recursive: true, force: true }));
    }
  }
  return area;
}

/** Folders, links and mount points outside the jail's tmpfs mounts, on the host. */
function layOut(root: string, steps: ViewStep[]): void {
  const at = (jailPath: string) => path.join(root, jailPath);
  const folder = (jailPath: string) => mkdirSync(at(jailPath), { recursive: true, mode: 0o755 });
  folder('/.old'); // where jail.sh puts the host's root while it pivots
  const tmpfs: string[] = [];
  for (const step of steps) {
    if (step.kind !== 'proc' && step.kind !== 'dev' && tmpfs.some((mount) => isInside(step.path, mount))) continue;
    switch (step.kind) {
      case 'dir':
        folder(step.path);
        break;
      case 'link':
        symlinkSync(step.target, at(step.path));
        break;
      case 'tmpfs':
        folder(step.path);
        tmpfs.push(step.path);
        break;
      case 'bind':
        if (step.directory) folder(step.path);
        else writeFileSync(at(step.path), '');
        break;
      case 'proc':
        folder('/proc');
        break;
      case 'dev':
        folder('/dev');
        for (const node of DEVICE_NODES) writeFileSync(at(`/dev/${node}`), '');
        for (const [name, target] of DEVICE_LINKS) symlinkSync(target, at(`/dev/${name}`));
        break;
    }
  }
}

/**
 * jail.sh's steps: `mounts FILE` (an fstab file of the mounts up to the next other step, written here)
 * and the folders, files and links inside its tmpfs mounts, in the view's order.
 */
function scriptSteps(steps: ViewStep[], root: string): string[] {
  const out: string[] = [];
  const tmpfs: string[] = [];
  const inTmpfs = (jailPath: string) => tmpfs.some((mount) => isInside(jailPath, mount));
  const at = (jailPath: string) => path.join(root, jailPath);
  const bound = new Set<string>();
  let lines: string[] = [fstabLine(root, root, 'none', 'bind')];
  const flush = () => {
    if (lines.length === 0) return;
    const file = `${root}.mounts-${out.length}`;
    writeFileSync(file, `${lines.join('\n')}\n`);
    out.push('mounts', file);
    lines = [];
  };
  const create = (...step: string[]) => {
    flush();
    out.push(...step);
  };
  for (const step of steps) {
    switch (step.kind) {
      case 'dir':
        if (inTmpfs(step.path)) create('dir', step.path);
        break;
      case 'link':
        if (inTmpfs(step.path)) create('link', step.target, step.path);
        break;
      case 'tmpfs':
        if (inTmpfs(step.path)) create('dir', step.path);
        lines.push(fstabLine('tmpfs', at(step.path), 'tmpfs', `mode=1777,size=${step.bytes}`));
        tmpfs.push(step.path);
        break;
      case 'bind':
        // mount --all skips a mount whose source and target are mounted already: a second bind of one
        // path (read-only, then writable) would be left out silently. A view never makes one.
        if (bound.has(step.path)) throw new Error(`the jail's view binds ${step.path} twice`);
        bound.add(step.path);
        if (inTmpfs(step.path)) create(step.directory ? 'dir' : 'file', step.path);
        lines.push(fstabLine(step.source, at(step.path), 'none', step.writable ? 'bind' : ['bind', 'ro', ...lockedFlags(step.source)].join(',')));
        break;
      case 'proc':
        lines.push(fstabLine('proc', at('/proc'), 'proc', 'defaults'));
        break;
      case 'dev':
        // Like bubblewrap's --dev: the harmless device nodes only (the host's /dev has the disks and the
        // grader's terminals); their mount points and the /proc links are laid out already.
        for (const node of DEVICE_NODES) lines.push(fstabLine(`/dev/${node}`, at(`/dev/${node}`), 'none', 'bind'));
        break;
    }
  }
  flush();
  return out;
}

/** One line of an fstab file; whitespace, `\\` and `#` in a path are written as octal escapes, as fstab(5) reads them. */
export function fstabLine(source: string, target: string, type: string, options: string): string {
  const field = (value: string) => value.replace(/[ \t\n\r\v\f\\#]/g, (c) => `\\${c.charCodeAt(0).toString(8).padStart(3, '0')}`);
  return [field(source), field(target), type, options, '0', '0'].join(' ');
}
