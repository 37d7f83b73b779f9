/** PEM sources (a file path or inline PEM, as `trust.ca` is written) and certificate parsing. */
import { readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { X509Certificate } from 'node:crypto';
import { PinError } from '../errors/errors.js';

/** Where relative file paths in the configuration resolve, for messages. */
export const RELATIVE_PATHS =
  "relative paths resolve against the config file's directory with --config (or --config-base), " +
  "and against the working directory in a ResourceList's functionConfig (kpt --fn-config, a Kptfile configPath)";

const PEM_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/** A `pemSource` value's PEM: inline as is, else read from the file; `what` names the config field. */
export function loadPemSource(source: string, what: string): string {
  if (source.trimStart().startsWith('-----BEGIN')) return source;
  let text: string;
  const path = resolve(source);
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    // A config file's relative paths arrive resolved; one still relative came from a functionConfig.
    const tried = isAbsolute(source) ? path : `${path} ("${source}" resolved against the working directory ${process.cwd()})`;
    throw new PinError({
      code: 'CONFIG_INVALID',
      message: `${what}: cannot read ${tried}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`,
      hint: `${what} must be a readable PEM file or an inline PEM block; ${RELATIVE_PATHS}`,
      cause: e,
    });
  }
  if (!text.includes('-----BEGIN')) {
    throw new PinError({
      code: 'CONFIG_INVALID',
      message: `${what}: ${source} holds no PEM block`,
      hint: `${what} must be a PEM certificate bundle`,
    });
  }
  return text;
}

/** Every certificate in a PEM bundle; none or a broken one is a config error. */
export function parseCertificates(pem: string, what: string): X509Certificate[] {
  const blocks = pem.match(PEM_BLOCK) ?? [];
  if (blocks.length === 0) {
    throw new PinError({
      code: 'CONFIG_INVALID',
      message: `${what}: no "BEGIN CERTIFICATE" block found`,
      hint: `${what} must hold PEM certificates`,
    });
  }
  return blocks.map((b, i) => {
    try {
      return new X509Certificate(b);
    } catch (e) {
      throw new PinError({
        code: 'CONFIG_INVALID',
        message: `${what}: certificate #${i + 1} cannot be parsed: ${(e as Error).message}`,
        hint: `fix the PEM in ${what}`,
        cause: e,
      });
    }
  });
}
