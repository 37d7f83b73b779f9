/**
 * The command line: `notary-pin` (KRM function on stdin/stdout, the default), `notary-pin webhook`,
 * `notary-pin demo`. Exit codes: 0 success, 1 a check failed (results say why), 2 usage error.
 */
import { Command, InvalidArgumentError, Option } from 'commander';
import { once } from 'node:events';
import { closeSync, openSync, writeSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { Spec } from '../config/schema.js';
import { toPinError } from '../errors/errors.js';
import { errorLine } from '../report/format.js';
import { VERSION } from './version.js';
import { mark, timingLines } from '../util/timings.js';


async function readStdin(maxBytes: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of process.stdin) {
    const buf = chunk as Buffer;
    size += buf.length;
    // One byte past the cap lets the parser report the size without holding endless input.
    if (size > maxBytes + 1) {
      chunks.push(buf.subarray(0, Math.max(0, buf.length - (size - maxBytes - 1))));
      process.stdin.destroy();
      break;
    }
    chunks.push(buf);
  }
  return Buffer.concat(chunks);
}

/** The input as text when valid UTF-8 within the cap, else the bytes, whose problems the parser reports. */
async function readInput(file: string | undefined, maxBytes: number): Promise<string | Uint8Array> {
  const bytes = file ? await readFile(file) : await readStdin(maxBytes);
  if (bytes.length > maxBytes) return bytes;
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    return bytes;
  }
}

async function writeOut(parts: readonly string[], file: string | undefined): Promise<void> {
  // ~64 KiB writes: the output is never one string or buffer, and the pieces die young.
  const SLICE = 64 * 1024;
  const fd = file ? openSync(file, 'w') : undefined;
  const write = async (s: string): Promise<void> => {
    if (fd !== undefined) writeSync(fd, s);
    else if (!process.stdout.write(s)) await once(process.stdout, 'drain');
  };
  try {
    let chunk = '';
    for (const part of parts) {
      if (part.length >= SLICE) {
        if (chunk !== '') await write(chunk);
        chunk = '';
        for (let i = 0; i < part.length; i += SLICE) await write(part.slice(i, i + SLICE));
        continue;
      }
      chunk += part;
      if (chunk.length >= SLICE) {
        await write(chunk);
        chunk = '';
      }
    }
    if (chunk !== '') await write(chunk);
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
  if (fd === undefined) await new Promise<void>((resolve, reject) => process.stdout.write('', (e) => (e ? reject(e) : resolve())));
}

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError('expected a positive integer');
  return n;
}

interface FnFlags {
  config?: string;
  configBase?: string;
  mode?: 'pin' | 'verify';
  reference?: 'tag-and-digest' | 'digest';
  input?: string;
  output?: string;
  maxInputBytes?: number;
  quiet?: boolean;
  lockFile?: string;
  locked?: boolean;
}

async function runFunction(flags: FnFlags): Promise<number> {
  // Loaded here, not at the top: `--version`, `--help`, `webhook` and `demo` do not pay for them.
  const [{ DEFAULT_MAX_INPUT, runKrm }, { productionResolver }, { createTrustStates }] = await Promise.all([
    import('../krm/run.js'),
    import('./resolver.js'),
    import('../trust/notary/trust-state.js'),
  ]);
  // The on-disk trust state (spec.cacheDir) has one owner: this command, which flushes it at its end.
  const trustStates = createTrustStates();
  const maxBytes = flags.maxInputBytes ?? DEFAULT_MAX_INPUT;
  mark('start');
  const input = await readInput(flags.input, maxBytes);
  mark('read input');
  const result = await runKrm(input, {
    resolverFor: (spec) => productionResolver(spec, process.env, trustStates),
    maxBytes,
    configFile: flags.config,
    configBase: flags.configBase,
    overrides: overridesOf(flags),
    lock: flags.lockFile !== undefined ? { file: flags.lockFile, locked: flags.locked === true } : undefined,
  });
  if (!flags.quiet || result.exitCode !== 0) for (const line of result.stderr) process.stderr.write(`${line}\n`);
  const parts = result.stdoutParts ?? (result.stdout ? [result.stdout] : []);
  if (parts.some((p) => p.length > 0)) await writeOut(parts, flags.output);
  mark('write output');
  // The run already failed if a TOFU/version write did (resolver close); what is left only saves downloads.
  await trustStates.flush().catch(() => {});
  mark('cache writes settled');
  for (const line of timingLines()) process.stderr.write(`${line}\n`);
  return result.exitCode;
}

/** `--mode`/`--reference` overrides; flags not given have no key (spreading undefined would erase the spec's value). */
function overridesOf(flags: FnFlags): Partial<Pick<Spec, 'mode' | 'reference'>> | undefined {
  const o: Partial<Pick<Spec, 'mode' | 'reference'>> = {};
  if (flags.mode) o.mode = flags.mode;
  if (flags.reference) o.reference = flags.reference;
  return Object.keys(o).length > 0 ? o : undefined;
}

export function buildProgram(): Command {
  const program = new Command('notary-pin')
    .description('Pin container images to the digests their Notary v1 (Docker Content Trust) trust data signs.')
    .version(VERSION)
    .showHelpAfterError()
    .exitOverride();

  addFnCommand(program);
  addWebhookCommand(program);

  // Loaded only when used: the revocation code (pkijs) would slow every start-up.
  program
    .command('revocation')
    .description('revocation data (CRLs, OCSP responses) for Notation signatures; see `notary-pin revocation fetch --help`')
    .helpOption(false)
    .allowUnknownOption()
    .argument('[args...]')
    .action(async (args: string[]) => {
      const { revocationCommand } = await import('./revocation.js');
      const cmd = revocationCommand();
      for (const c of [cmd, ...cmd.commands]) c.exitOverride();
      await cmd.parseAsync(args, { from: 'user' });
    });

  program
    .command('demo')
    .description('pin an example ResourceList against an embedded, freshly signed trust server (no network needed)')
    .action(async () => {
      const [{ runDemo }, { productionResolver }] = await Promise.all([import('../demo/demo.js'), import('./resolver.js')]);
      process.exitCode = await runDemo({ resolverFor: (spec) => productionResolver(spec, process.env) });
    });

  return program;
}

function addFnCommand(program: Command): void {
  program
    .command('fn', { isDefault: true })
    .description('run as a KRM function: a ResourceList (or plain YAML stream) on stdin, the pinned result on stdout')
    .option('-c, --config <file>', 'NotaryPin config file (required for plain streams; overrides functionConfig)')
    .option('--config-base <dir>', "resolve relative paths in --config against this directory instead of the file's own (kustomize plugins get a temp copy of the config)")
    .addOption(new Option('--mode <mode>', 'override spec.mode').choices(['pin', 'verify']))
    .addOption(new Option('--reference <style>', 'override spec.reference').choices(['tag-and-digest', 'digest']))
    .option('-i, --input <file>', 'read input from a file instead of stdin')
    .option('-o, --output <file>', 'write output to a file instead of stdout')
    .option('--max-input-bytes <n>', 'reject larger input (default: 16 MiB)', positiveInt)
    .option('-q, --quiet', 'print the summary on stderr only when something failed')
    .option('--lock-file <file>', 'write every image → digest, trust system, signer to this lock file after a successful run')
    .option('--locked', 'with --lock-file: fail when an image resolves to another digest than the lock file says, or is not in it (the file is not written)')
    .action(async (flags: FnFlags, cmd: Command) => {
      if (flags.locked && flags.lockFile === undefined) cmd.error('error: --locked needs --lock-file <file>', { exitCode: 2, code: 'commander.usage' });
      process.exitCode = await runFunction(flags);
    });
}

function addWebhookCommand(program: Command): void {
  program
    .command('webhook')
    .description('serve a validating admission webhook over HTTPS')
    .requiredOption('-c, --config <file>', 'NotaryPin config file')
    .requiredOption('--tls-cert-file <file>', 'serving certificate (PEM); reloaded when it changes')
    .requiredOption('--tls-private-key-file <file>', 'serving key (PEM); reloaded when it changes')
    .option('--port <port>', 'port to listen on', positiveInt, 8443)
    .option('--host <host>', 'address to listen on', '0.0.0.0')
    .option('--max-in-flight <n>', 'most reviews handled at once; beyond it 429 (the failurePolicy then denies)', positiveInt, 512)
    .action(async (flags: { config: string; tlsCertFile: string; tlsPrivateKeyFile: string; port: number; host: string; maxInFlight: number }) => {
      const { runWebhook } = await import('./webhook-command.js');
      await runWebhook({
        configPath: flags.config,
        certFile: flags.tlsCertFile,
        keyFile: flags.tlsPrivateKeyFile,
        port: flags.port,
        host: flags.host,
        maxInFlight: flags.maxInFlight,
      });
    });
}

export async function main(argv: string[]): Promise<void> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (typeof code === 'string' && code.startsWith('commander.')) {
      // help and version exit 0; usage errors exit 2 (commander already printed the message).
      process.exitCode = code === 'commander.helpDisplayed' || code === 'commander.version' || code === 'commander.help' ? 0 : 2;
      return;
    }
    const error = toPinError(e);
    process.stderr.write(`${errorLine(error)}\n`);
    process.exitCode = 1;
  }
}
