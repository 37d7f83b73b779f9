/**
 * `notary-pin revocation fetch`: download the current CRLs (and optionally OCSP responses) for
 * certificate chains into an offline revocation bundle directory, so CI can refresh the bundle an
 * air-gapped cluster uses (`revocation.bundleDir`). Exit codes: 0 complete, 1 something could not
 * be fetched or verified (the bundle is incomplete), 2 usage error.
 */
import { Command, InvalidArgumentError } from 'commander';
import { parseCertificates, loadPemSource } from '../http/tls.js';
import { fetchRevocationBundle } from '../trust/notation/revocation/bundle.js';
import { createNetworkFetcher } from '../trust/notation/revocation/source.js';

export interface RevocationFetchFlags {
  readonly out: string;
  readonly chain: readonly string[];
  readonly ocsp?: boolean;
  readonly crlTimeout?: number;
}

function positiveInt(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError('must be a positive integer');
  return n;
}

/** Runs the fetch and prints one line per file written or failed; returns the exit code. */
export async function runRevocationFetch(flags: RevocationFetchFlags, write: (line: string) => void = (l) => process.stdout.write(`${l}\n`)): Promise<number> {
  const chains = flags.chain.map((file) => parseCertificates(loadPemSource(file, `--chain ${file}`), `--chain ${file}`).map((c) => new Uint8Array(c.raw)));
  const fetcher = createNetworkFetcher({ crlTimeoutMs: flags.crlTimeout });
  try {
    const report = await fetchRevocationBundle(chains, flags.out, { fetcher, ocsp: flags.ocsp });
    for (const f of report.files) write(`wrote ${f.file} (${f.kind} ${f.url}, valid until ${f.nextUpdate ?? '?'})`);
    for (const f of report.failures) write(`FAILED ${f.kind} ${f.url}: ${f.message}`);
    const crlFailed = report.failures.some((f) => f.kind !== 'ocsp');
    write(`${report.files.length} file(s) in ${flags.out}${crlFailed ? '; the bundle is INCOMPLETE' : ''}`);
    return crlFailed ? 1 : 0;
  } finally {
    await fetcher.close();
  }
}

/** The `revocation` command group (wired in main.ts with `program.addCommand(revocationCommand())`). */
export function revocationCommand(): Command {
  const cmd = new Command('revocation').description('revocation data (CRLs, OCSP responses) for Notation signatures');
  cmd
    .command('fetch')
    .description('download and verify the current CRLs for certificate chains into an offline revocation bundle directory')
    .requiredOption('-o, --out <dir>', 'bundle directory (created if missing; files are replaced atomically)')
    .requiredOption('--chain <files...>', 'PEM file(s), each a certificate chain leaf first (a signing certificate with its CA chain)')
    .option('--ocsp', 'also store OCSP responses that carry a nextUpdate (they usually expire within hours)')
    .option('--crl-timeout <ms>', 'timeout per CRL URL in ms (default 5000)', positiveInt)
    .action(async (flags: RevocationFetchFlags) => {
      process.exitCode = await runRevocationFetch(flags);
    });
  return cmd;
}
