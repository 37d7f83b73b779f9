/**
 * `notary-pin revocation fetch`: download CRLs (and OCSP responses) for chains from PEM files or image
 * signatures into an offline bundle (`revocation.bundleDir`) for air-gapped clusters.
 * Exit codes: 0 complete, 1 bundle incomplete, 2 usage error.
 */
import { Command, InvalidArgumentError } from 'commander';
import { parseCertificates, loadPemSource } from '../http/tls.js';
import { fetchRevocationBundle } from '../trust/notation/revocation/bundle.js';
import { createNetworkFetcher } from '../trust/notation/revocation/source.js';

export interface RevocationFetchFlags {
  readonly out: string;
  readonly chain?: readonly string[];
  /** A notary-pin config whose registries and Notation trust rules are used for `image`. */
  readonly config?: string;
  readonly image?: readonly string[];
  readonly ocsp?: boolean;
  readonly crlTimeout?: number;
}

function positiveInt(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError('must be a positive integer');
  return n;
}

/** Runs the fetch, one line per file written or failed; returns the exit code. */
export async function runRevocationFetch(
  flags: RevocationFetchFlags,
  write: (line: string) => void = (l) => process.stdout.write(`${l}\n`),
  env: NodeJS.ProcessEnv = process.env,
): Promise<number> {
  const images = flags.image ?? [];
  if ((flags.chain ?? []).length === 0 && images.length === 0) return usage(write, 'give --chain <files...>, or --config <file> with --image <refs...>');
  if (images.length > 0 && flags.config === undefined) return usage(write, '--image needs --config (the registries and Notation trust rules to use)');
  const chains: Uint8Array[][] = (flags.chain ?? []).map((file) => parseCertificates(loadPemSource(file, `--chain ${file}`), `--chain ${file}`).map((c) => new Uint8Array(c.raw)));
  const problems: string[] = [];
  if (images.length > 0) {
    const [{ loadConfigFile }, { chainsOfImages }] = await Promise.all([import('../config/load.js'), import('./revocation-images.js')]);
    const found = await chainsOfImages(await loadConfigFile(flags.config as string), images, env);
    chains.push(...found.chains);
    problems.push(...found.problems);
  }
  const fetcher = createNetworkFetcher({ crlTimeoutMs: flags.crlTimeout });
  try {
    const report = await fetchRevocationBundle(chains, flags.out, { fetcher, ocsp: flags.ocsp });
    for (const f of report.files) write(`wrote ${f.file} (${f.kind} ${f.url}, valid until ${f.nextUpdate ?? '?'})`);
    for (const p of problems) write(`FAILED ${p}`);
    for (const f of report.failures) write(`FAILED ${f.kind} ${f.url}: ${f.message}`);
    const incomplete = problems.length > 0 || report.failures.some((f) => f.kind !== 'ocsp');
    write(`${report.files.length} file(s) in ${flags.out}${incomplete ? '; the bundle is INCOMPLETE' : ''}`);
    return incomplete ? 1 : 0;
  } finally {
    await fetcher.close();
  }
}

function usage(write: (line: string) => void, message: string): number {
  write(`notary-pin revocation fetch: ${message}`);
  return 2;
}

export function revocationCommand(): Command {
  const cmd = new Command('revocation').description('revocation data (CRLs, OCSP responses) for Notation signatures');
  cmd
    .command('fetch')
    .description('download and verify the current CRLs for certificate chains into an offline revocation bundle directory')
    .requiredOption('-o, --out <dir>', 'bundle directory (created if missing; files are replaced atomically)')
    .option('--chain <files...>', 'PEM file(s), each a certificate chain leaf first (a signing certificate with its CA chain)')
    .option('--config <file>', 'notary-pin config whose registries and Notation trust rules (trust policy, tsa: stores) --image uses')
    .option('--image <refs...>', 'image(s) whose Notation signatures in the registry name the chains (signing chains, and TSA chains of trusted timestamps)')
    .option('--ocsp', 'also store OCSP responses that carry a nextUpdate (they usually expire within hours)')
    .option('--crl-timeout <ms>', 'timeout per CRL URL in ms (default 5000)', positiveInt)
    .action(async (flags: RevocationFetchFlags) => {
      process.exitCode = await runRevocationFetch(flags);
    });
  return cmd;
}
