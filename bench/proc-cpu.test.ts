import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { treeCpuMs, withServerCpu } from './proc-cpu.js';

describe.runIf(process.platform === 'linux')('treeCpuMs', () => {
  it("counts a busy child's CPU under its parent's pid", async () => {
    // bash (parent) starts node (child), which spins ~300 ms of CPU and then waits to be killed
    const parent = spawn('bash', ['-c', `${JSON.stringify(process.execPath)} -e "const t=Date.now(); while (Date.now()-t<300); setTimeout(()=>{}, 10000)"; true`], { detached: true, stdio: 'ignore' });
    try {
      const { serverCpuMs } = await withServerCpu(parent.pid!, () => new Promise((r) => setTimeout(r, 800)));
      expect(serverCpuMs).toBeGreaterThanOrEqual(200);
      expect(serverCpuMs).toBeLessThan(800);
    } finally {
      process.kill(-parent.pid!, 'SIGKILL'); // the group: bash and node
    }
  });

  it('says unavailable for a pid that does not exist', () => {
    expect(treeCpuMs(2 ** 22 + 1)).toEqual({ ms: 0, available: false });
  });
});
