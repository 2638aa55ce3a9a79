/**
 * What every process that starts student programs would otherwise find out for itself (which jail
 * works here, where python3 lives), each blocking its event loop meanwhile: found once by the process
 * that starts them (jest's parent, through jest.config.ts) and inherited through the environment.
 */
import { interpreterMounts, pythonExecutable } from './interpreters';
import { sandboxSupport } from './sandbox';

export function findOnceForChildren(): void {
  sandboxSupport();
  interpreterMounts([pythonExecutable()]);
}
