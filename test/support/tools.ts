/**
 * Gate integration tests on the real system tools (notary-server, notary, docker-registry, skopeo,
 * openssl). Locally a missing tool skips the suite with a message saying how to install it; in CI
 * (`CI=true`) a missing tool fails at collection time, so a broken CI image cannot go green by
 * skipping everything.
 */
import { describe } from 'vitest';
import { requireTools } from './find-tool.js';

export { findTool, requireTools, NOTARY_ENV_TOOLS, INSTALL_HINT, type ToolCheck, type ToolName } from './find-tool.js';

/**
 * `describe(title, fn)` when every tool in `names` is installed. Otherwise: with `CI=true` throws
 * (the test file fails to collect); else logs which tools are missing and how to install them,
 * and registers the suite with `describe.skip`.
 */
export function describeWithTools(names: readonly string[], title: string, fn: () => void): void {
  const check = requireTools(names);
  if (check.ok) {
    describe(title, fn);
    return;
  }
  if (process.env.CI === 'true') {
    throw new Error(`${title}: ${check.reason} (CI=true: missing tools are an error, not a skip)`);
  }
  console.warn(`[skip] ${title}: ${check.reason}`);
  describe.skip(title, fn);
}
