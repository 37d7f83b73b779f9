/**
 * Locates system tools on PATH (no vitest dependency, so the harness can run under plain tsx).
 */
import { accessSync, constants } from 'node:fs';
import { delimiter, isAbsolute, join } from 'node:path';

const cache = new Map<string, string | null>();

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Absolute path of `name` found on PATH (or the path itself when absolute), or null. */
export function findTool(name: string): string | null {
  const hit = cache.get(name);
  if (hit !== undefined) return hit;
  let found: string | null = null;
  if (isAbsolute(name)) {
    found = isExecutable(name) ? name : null;
  } else {
    for (const dir of (process.env.PATH ?? '').split(delimiter)) {
      if (dir === '') continue;
      const p = join(dir, name);
      if (isExecutable(p)) {
        found = p;
        break;
      }
    }
    // Debian's docker-registry lives in /usr/bin even when PATH is unusual.
    if (found === null && name === 'docker-registry' && isExecutable('/usr/bin/docker-registry')) {
      found = '/usr/bin/docker-registry';
    }
  }
  cache.set(name, found);
  return found;
}
