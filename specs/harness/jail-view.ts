/**
 * The filesystem a jailed program sees, as a list of steps that both jail backends (bubblewrap's
 * options, or unshare-jail.ts for the util-linux backend) build in the same order: later mounts go
 * on top of earlier ones, and the folders leading to a mount are created first (world-readable).
 */
import { existsSync, readFileSync, realpathSync, statSync } from 'node:fs';
import path from 'node:path';

export type ViewStep =
  | { kind: 'dir'; path: string }
  | { kind: 'link'; target: string; path: string }
  | { kind: 'tmpfs'; path: string; bytes: number }
  /** `directory`: the mount point to create is a folder (else a file). */
  | { kind: 'bind'; source: string; path: string; writable: boolean; directory: boolean }
  | { kind: 'proc' }
  | { kind: 'dev' };

export class JailView {
  readonly steps: ViewStep[] = [];
  /** Host folders shown at their own path: whatever lies inside them is visible already. */
  private readonly binds: string[] = [];
  /** Folders that exist in the jail (empty ones it creates, tmpfs mounts). */
  private readonly existing = new Set<string>(['/']);

  bind(source: string, how: 'ro' | 'rw'): void {
    const target = path.resolve(source);
    if (how === 'ro' && this.isVisible(target)) return;
    this.createParents(target);
    this.steps.push({ kind: 'bind', source: realpathSync(target), path: target, writable: how === 'rw', directory: statSync(target).isDirectory() });
    this.binds.push(target);
  }

  tmpfs(target: string, bytes: number): void {
    this.createParents(target);
    this.steps.push({ kind: 'tmpfs', path: target, bytes });
    this.existing.add(target);
  }

  /** /proc of the program's own PID namespace, and the device nodes. */
  system(): void {
    this.steps.push({ kind: 'proc' }, { kind: 'dev' });
    this.existing.add('/proc').add('/dev');
  }

  /** The merged-/usr links (/bin -> usr/bin...) as they are on the host, or the folder itself. */
  systemLink(link: string): void {
    if (!existsSync(link)) return;
    const real = realpathSync(link);
    if (real !== link) this.steps.push({ kind: 'link', target: real, path: link });
    else this.bind(link, 'ro');
  }

  private isVisible(target: string): boolean {
    return this.binds.some((bound) => bound === target || isInside(target, bound));
  }

  private createParents(target: string): void {
    const parents: string[] = [];
    for (let dir = path.dirname(target); !this.existing.has(dir) && !this.isVisible(dir); dir = path.dirname(dir)) parents.unshift(dir);
    for (const dir of parents) {
      this.steps.push({ kind: 'dir', path: dir });
      this.existing.add(dir);
    }
  }
}

/** bubblewrap's options for the steps. */
export function bubblewrapOptions(steps: ViewStep[]): string[] {
  return steps.flatMap((step): string[] => {
    switch (step.kind) {
      case 'dir':
        return ['--perms', '0755', '--dir', step.path];
      case 'link':
        return ['--symlink', step.target, step.path];
      case 'tmpfs':
        return ['--perms', '1777', '--size', String(step.bytes), '--tmpfs', step.path];
      case 'bind':
        return [step.writable ? '--bind' : '--ro-bind', step.source, step.path];
      case 'proc':
        return ['--proc', '/proc'];
      case 'dev':
        return ['--dev', '/dev'];
    }
  });
}

const LOCKED = new Set(['nosuid', 'nodev', 'noexec', 'noatime', 'nodiratime', 'relatime', 'strictatime']);
let mounts: { point: string; flags: string[] }[] | undefined;

/**
 * The flags of the mount holding `source` that a read-only bind of it must repeat: in a user
 * namespace the kernel refuses a remount that would drop them (e.g. nosuid,noexec of /dev).
 */
export function lockedFlags(source: string): string[] {
  mounts ??= readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => line.split(' '))
    .map((fields) => ({ point: fields[4].replace(/\\040/g, ' '), flags: fields[5].split(',').filter((flag) => LOCKED.has(flag)) }));
  const holder = mounts.filter((m) => containsOrIs(m.point, source)).reduce((best, m) => (m.point.length >= best.point.length ? m : best), { point: '', flags: [] as string[] });
  return holder.flags;
}

export function isInside(child: string, parent: string): boolean {
  const relative = path.relative(parent, child);
  return relative !== '' && !relative.startsWith('..') && !path.isAbsolute(relative);
}

export function containsOrIs(folder: string, item: string): boolean {
  return folder === item || isInside(item, folder);
}
