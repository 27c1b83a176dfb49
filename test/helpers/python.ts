// Finding a Python for the cross-checks: PATH's python3 may be a pyenv without torch or numpy, so each
// finder also tries Debian's /usr/bin/python3 (where .ci/run installs python3-torch, -torchvision, -numpy).
import { spawnSync } from 'node:child_process';

const CANDIDATES = ['/usr/bin/python3', 'python3'];
const found = new Map<string, string | null>();

/** The first Python here that imports every one of `modules` (e.g. 'torch, torchvision'), or null. */
export function pythonWith(modules: string): string | null {
  if (!found.has(modules)) {
    found.set(modules, CANDIDATES.find((p) => spawnSync(p, ['-c', `import ${modules}`], { encoding: 'utf8', timeout: 60_000 }).status === 0) ?? null);
  }
  return found.get(modules) as string | null;
}

/** A Python with torch, torchvision and numpy (the golden tests), or null: those tests report themselves skipped. */
export const torchPython = (): string | null => pythonWith('torch, torchvision, numpy');
