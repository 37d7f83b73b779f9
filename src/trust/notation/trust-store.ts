/**
 * A Notation trust store directory, `<dir>/x509/<ca|signingAuthority|tsa>/<name>/*`: as in notation,
 * every regular file of a named store must parse as PEM or concatenated DER certificates.
 * Notary Project trust-store-trust-policy §Trust Store: symlinks are refused, subdirectories ignored.
 */
import { X509Certificate as NodeX509 } from 'node:crypto';
import { constants } from 'node:fs';
import { lstat, open, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { fromBER } from 'asn1js';
import { PinError } from '../../errors/errors.js';
import type { TrustStore, TrustStoreType } from './contracts.js';
import { isCaCertificate, isSelfSigned } from './cert-chain.js';

export const MAX_STORE_FILES = 100;
export const MAX_STORE_FILE_BYTES = 256 * 1024;
export const MAX_CERTS_PER_FILE = 50;
const STORE_NAME = /^[a-zA-Z0-9_.-]+$/;
const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/g;

function storeError(what: string, hint: string): PinError {
  return new PinError({ code: 'NOTATION_TRUST_STORE', message: `Notation trust store ${what}`, hint });
}

/** Splits concatenated DER certificates with asn1js (each must be one complete SEQUENCE). */
function splitDer(bytes: Uint8Array): Uint8Array[] | undefined {
  const out: Uint8Array[] = [];
  let rest = bytes;
  while (rest.length > 0 && out.length <= MAX_CERTS_PER_FILE) {
    const ab = rest.buffer.slice(rest.byteOffset, rest.byteOffset + rest.length) as ArrayBuffer;
    const parsed = fromBER(ab);
    if (parsed.offset === -1 || parsed.offset <= 0) return undefined;
    out.push(rest.subarray(0, parsed.offset));
    rest = rest.subarray(parsed.offset);
  }
  return out;
}

/** The certificates (DER) in one file's bytes, or the reason they are not certificates. */
export function parseCertificateFile(bytes: Uint8Array): Uint8Array[] | string {
  const text = Buffer.from(bytes).toString('latin1');
  let ders: Uint8Array[] | undefined;
  if (text.includes('-----BEGIN')) {
    ders = [];
    for (const m of text.matchAll(PEM_BLOCK)) {
      if (m[1] !== 'CERTIFICATE') return `holds a PEM "${m[1]}" block; only certificates are allowed`;
      const body = m[2]!.replace(/\s+/g, '');
      if (!/^[A-Za-z0-9+/]*={0,2}$/.test(body)) return 'holds a PEM block that is not base64';
      ders.push(Buffer.from(body, 'base64'));
    }
    if (text.replace(PEM_BLOCK, '').trim() !== '') return 'holds text outside PEM certificate blocks';
  } else ders = splitDer(bytes);
  if (ders === undefined || ders.length === 0) return 'holds no certificate';
  if (ders.length > MAX_CERTS_PER_FILE) return `holds more than ${MAX_CERTS_PER_FILE} certificates`;
  for (const der of ders) {
    try {
      new NodeX509(der);
    } catch (e) {
      return `holds bytes that are not an X.509 certificate (${(e as Error).message})`;
    }
  }
  return ders;
}

/** Rejects anything but a real directory (no symlink) at `path`. */
async function requireDirectory(path: string, what: string): Promise<void> {
  let st;
  try {
    st = await lstat(path);
  } catch {
    throw storeError(`${what} ${path} does not exist`, 'create it, or fix the trust policy\'s trustStores entry');
  }
  if (st.isSymbolicLink())
    throw storeError(`${what} ${path} is a symbolic link`, 'symlinks are refused in a Notation trust store; copy the directory instead');
  if (!st.isDirectory()) throw storeError(`${what} ${path} is not a directory`, 'make it a directory of certificate files');
}

/** Reads at most `max` bytes of a regular file opened without following symlinks. */
async function readBounded(path: string, max: number): Promise<Buffer> {
  const fh = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  try {
    const st = await fh.stat();
    if (!st.isFile()) throw storeError(`file ${path} is not a regular file`, 'remove it');
    if (st.size > max) throw storeError(`file ${path} is larger than ${max} bytes`, 'a trust store file holds a few root certificates');
    return await fh.readFile();
  } finally {
    await fh.close();
  }
}

/** Store-type rules: ca/signingAuthority hold CA or self-signed certificates; tsa holds self-signed CA roots. */
function checkStoreCertificate(type: TrustStoreType, der: Uint8Array, file: string): void {
  const selfSigned = isSelfSigned(der);
  const ca = isCaCertificate(der);
  if (type === 'tsa' ? !(ca && selfSigned) : !(ca || selfSigned))
    throw storeError(
      `file ${file} holds a certificate that is not ${type === 'tsa' ? 'a self-signed root CA' : 'a CA or self-signed certificate'}`,
      type === 'tsa' ? 'put the TSA\'s root certificate in a tsa store' : 'put the root CA certificate (or the self-signed signing certificate) in the store',
    );
}

async function loadStore(dir: string, type: TrustStoreType, name: string): Promise<Uint8Array[]> {
  if (!STORE_NAME.test(name) || name === '.' || name === '..')
    throw storeError(`name "${name}" is invalid`, 'use letters, digits, ".", "_" and "-"');
  const x509 = join(dir, 'x509');
  const typeDir = join(x509, type);
  const storeDir = join(typeDir, name);
  // The configured root may itself be a link (e.g. a managed ~/.config); everything below it may not.
  if (!(await stat(dir).catch(() => undefined))?.isDirectory())
    throw storeError(`directory ${dir} does not exist`, 'point trustStore at a directory in Notation\'s trust store layout (x509/<type>/<name>/)');
  await requireDirectory(x509, 'directory');
  await requireDirectory(typeDir, 'directory');
  await requireDirectory(storeDir, `${type}:${name} directory`);
  const entries = await readdir(storeDir, { withFileTypes: true });
  const certs: Uint8Array[] = [];
  let files = 0;
  for (const e of entries.sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const path = join(storeDir, e.name);
    if (e.isSymbolicLink())
      throw storeError(`file ${path} is a symbolic link`, 'symlinks are refused in a Notation trust store; copy the certificate instead');
    if (e.isDirectory()) continue; // trust-store-trust-policy §Trust Store: subdirectories are ignored.
    if (++files > MAX_STORE_FILES) throw storeError(`${type}:${name} has more than ${MAX_STORE_FILES} files`, 'keep only root certificates');
    const parsed = parseCertificateFile(await readBounded(path, MAX_STORE_FILE_BYTES));
    if (typeof parsed === 'string') throw storeError(`file ${path} ${parsed}`, 'the file must hold PEM or DER certificates only');
    for (const der of parsed) checkStoreCertificate(type, der, path);
    certs.push(...parsed);
  }
  if (certs.length === 0) throw storeError(`${type}:${name} (${storeDir}) holds no certificates`, 'add the root certificate');
  return certs;
}

/** Opens a trust store directory; each named store is read once and cached (a failure is not cached). */
export function openTrustStore(dir: string): TrustStore {
  const cache = new Map<string, Promise<Uint8Array[]>>();
  return {
    load(type: TrustStoreType, name: string): Promise<Uint8Array[]> {
      const key = `${type}:${name}`;
      let p = cache.get(key);
      if (p === undefined) {
        p = loadStore(dir, type, name);
        cache.set(key, p);
        p.catch(() => cache.delete(key));
      }
      return p;
    },
  };
}
