/**
 * Locates the system tools the harness needs (no vitest dependency, so the harness can run under
 * plain tsx, e.g. the benchmark and capture-fixtures.ts).
 */
import { accessSync, constants } from 'node:fs';
import { delimiter, isAbsolute, join } from 'node:path';

/** The tools the integration harness may need. */
export type ToolName = 'notary-server' | 'notary' | 'docker-registry' | 'skopeo' | 'openssl';

/** Every tool `startNotaryEnv` uses. */
export const NOTARY_ENV_TOOLS: readonly ToolName[] = ['notary-server', 'notary', 'docker-registry', 'skopeo', 'openssl'];

/** Result of {@link requireTools}. */
export type ToolCheck = { ok: true } | { ok: false; missing: string[]; reason: string };

export const INSTALL_HINT =
  'install them with `sudo scripts/install-system-deps.sh` (Debian/Ubuntu packages: notary docker-registry skopeo openssl)';

/** Checks that every tool in `names` is installed. */
export function requireTools(names: readonly string[]): ToolCheck {
  const missing = names.filter((n) => findTool(n) === null);
  if (missing.length === 0) return { ok: true };
  return { ok: false, missing, reason: `missing tools: ${missing.join(', ')}; ${INSTALL_HINT}` };
}

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
