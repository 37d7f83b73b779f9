/**
 * CPU time (user + system) of a process and its descendants, from Linux /proc: the bench reads the
 * servers' share of a run with it (0 where /proc is missing, with `available: false`).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

let ticksPerSecond: number | undefined;
const hz = (): number => (ticksPerSecond ??= Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100);

/** utime + stime of one process in ms; fields 14 and 15 of /proc/<pid>/stat, counted after the ")" of its name. */
function ownCpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / hz();
}

function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').split(' ').filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/** CPU ms so far of `pid` and every live descendant (a descendant that exited is not counted). */
export function treeCpuMs(pid: number): { ms: number; available: boolean } {
  try {
    let ms = 0;
    for (const stack = [pid]; stack.length > 0; ) {
      const p = stack.pop()!;
      ms += ownCpuMs(p);
      stack.push(...childrenOf(p));
    }
    return { ms, available: true };
  } catch {
    return { ms: 0, available: false };
  }
}

/** Runs `f` and returns its result with the CPU ms the process tree of `pid` spent meanwhile. */
export async function withServerCpu<T>(pid: number, f: () => Promise<T>): Promise<{ value: T; serverCpuMs: number | undefined }> {
  const before = treeCpuMs(pid);
  const value = await f();
  const after = treeCpuMs(pid);
  return { value, serverCpuMs: before.available && after.available ? after.ms - before.ms : undefined };
}
