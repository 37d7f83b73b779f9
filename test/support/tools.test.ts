import { afterEach, describe, expect, it, vi } from 'vitest';
import { run, runOk } from './exec.js';
import { describeWithTools, findTool, requireTools } from './tools.js';

describe('requireTools / describeWithTools', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
    vi.restoreAllMocks();
  });

  it('finds a tool on PATH and names missing ones with the install script', () => {
    expect(findTool('sh')).toMatch(/\/sh$/);
    expect(requireTools(['sh'])).toEqual({ ok: true });
    const r = requireTools(['sh', 'no-such-tool-notary-pin']);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.missing).toEqual(['no-such-tool-notary-pin']);
      expect(r.reason).toContain('no-such-tool-notary-pin');
      expect(r.reason).toContain('scripts/install-system-deps.sh');
    }
  });

  it('throws at collection time in CI when a tool is missing', () => {
    vi.stubEnv('CI', 'true');
    expect(() => describeWithTools(['no-such-tool-notary-pin'], 'needs a tool', () => undefined)).toThrow(
      /no-such-tool-notary-pin.*CI=true/s,
    );
  });
});

describe('describeWithTools outside CI', () => {
  // Suites can only be declared while collecting, so this runs at collection time.
  const warnings: string[] = [];
  const origWarn = console.warn;
  const origCI = process.env.CI;
  console.warn = (msg: unknown) => void warnings.push(String(msg));
  process.env.CI = '';
  try {
    describeWithTools(['no-such-tool-notary-pin'], 'skipped suite', () => {
      it('must not run (the suite is skipped)', () => {
        throw new Error('a suite with a missing tool ran');
      });
    });
  } finally {
    console.warn = origWarn;
    if (origCI === undefined) delete process.env.CI;
    else process.env.CI = origCI;
  }

  it('skips the suite with a message naming the missing tool and the install script', () => {
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('skipped suite');
    expect(warnings[0]).toContain('no-such-tool-notary-pin');
    expect(warnings[0]).toContain('scripts/install-system-deps.sh');
  });
});

describe('run (bounded exec)', () => {
  it('kills a process that runs past its timeout', async () => {
    const res = await run('sleep', ['10'], { timeoutMs: 200 });
    expect(res.timedOut).toBe(true);
    expect(res.signal).toBe('SIGKILL');
    expect(res.durationMs).toBeLessThan(5_000);
    await expect(runOk('sleep', ['10'], { timeoutMs: 200 })).rejects.toThrow(/timed out/);
  });

  it('reports exit codes and caps output', async () => {
    const res = await run('sh', ['-c', 'printf 0123456789; exit 3'], { maxOutputBytes: 4 });
    expect(res.code).toBe(3);
    expect(res.stdout).toBe('0123');
    await expect(runOk('sh', ['-c', 'echo boom >&2; exit 2'])).rejects.toThrow(/exited 2[\s\S]*boom/);
  });
});
