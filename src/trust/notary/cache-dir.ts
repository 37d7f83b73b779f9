/**
 * Safe directories under `spec.cacheDir`, as ssh's StrictModes checks `~/.ssh`: a directory that
 * holds remembered roots and versions must be owned by this user (or root) and writable by nobody
 * else, or another local user could plant a trusted root. Directories notary-pin creates are 0700.
 */
import { statSync, type Stats } from 'node:fs';
import { mkdir, stat } from 'node:fs/promises';
import { relative, resolve, sep } from 'node:path';
import { PinError } from '../../errors/errors.js';

const octal = (mode: number) => `0${(mode & 0o777).toString(8).padStart(3, '0')}`;

/** The problem with `st` as a directory of `path`, or undefined when it is safe. */
export function unsafeDirError(path: string, st: Stats): PinError | undefined {
  if (!st.isDirectory()) {
    return new PinError({
      code: 'CONFIG_INVALID',
      message: `spec.cacheDir: ${path} is not a directory`,
      hint: `remove ${path} or point spec.cacheDir elsewhere`,
    });
  }
  const uid = process.getuid?.();
  if (uid !== undefined && st.uid !== uid && st.uid !== 0) {
    return new PinError({
      code: 'CONFIG_INVALID',
      message: `spec.cacheDir: ${path} is owned by uid ${st.uid}, not by this user (uid ${uid}): its trust state cannot be relied on`,
      hint: `\`chown -R ${uid} ${path}\` if it is yours, or use a cache directory of your own (notary-pin refuses it, as ssh's StrictModes does)`,
    });
  }
  if ((st.mode & 0o022) !== 0) {
    const who = (st.mode & 0o002) !== 0 ? ((st.mode & 0o020) !== 0 ? 'group and others' : 'others') : 'its group';
    return new PinError({
      code: 'CONFIG_INVALID',
      message: `spec.cacheDir: ${path} is writable by ${who} (mode ${octal(st.mode)}): another local user could plant a trusted root there`,
      hint: `\`chmod 700 ${path}\` (notary-pin refuses a cache directory others can write, as ssh's StrictModes does)`,
    });
  }
  return undefined;
}

/** Throws unless `path` is absent or a safe directory; `otherFileOk` lets a non-directory file through. */
export function checkDirSync(path: string, o: { otherFileOk?: boolean } = {}): void {
  let st: Stats;
  try {
    st = statSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return;
    throw cannot('read', path, e);
  }
  if (o.otherFileOk && !st.isDirectory()) return;
  const problem = unsafeDirError(path, st);
  if (problem) throw problem;
}

/** Creates `dir` (0700, with parents) inside `cacheDir` and checks every directory from `cacheDir` down to it. */
export async function ensureSafeDir(cacheDir: string, dir: string): Promise<void> {
  try {
    await mkdir(dir, { recursive: true, mode: 0o700 });
  } catch (e) {
    throw cannot('create', dir, e);
  }
  const base = resolve(cacheDir);
  const rel = relative(base, resolve(dir));
  const chain = [base];
  for (const part of rel === '' ? [] : rel.split(sep)) chain.push(resolve(chain[chain.length - 1]!, part));
  for (const d of chain) {
    let st: Stats;
    try {
      st = await stat(d);
    } catch (e) {
      throw cannot('read', d, e);
    }
    const problem = unsafeDirError(d, st);
    if (problem) throw problem;
  }
}

function cannot(what: 'read' | 'create', path: string, e: unknown): PinError {
  return new PinError({
    code: 'CONFIG_INVALID',
    message: `cannot ${what} ${path}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`,
    hint: what === 'create' ? 'spec.cacheDir must be writable' : 'check the permissions of spec.cacheDir',
    cause: e,
  });
}
