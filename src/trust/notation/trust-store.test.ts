/**
 * Trust stores in Notation's layout: notation-go's test stores (test/fixtures/notation/truststores)
 * and stores written here for the symlink, size and file rules.
 */
import { mkdtemp, mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PinError } from '../../errors/errors.js';
import { openTrustStore, parseCertificateFile } from './trust-store.js';

const FIX = new URL('../../../test/fixtures/notation/', import.meta.url).pathname;
const NOTATION_GO = join(FIX, 'truststores/notation-go');

async function loadError(dir: string, type: 'ca' | 'signingAuthority' | 'tsa', name: string): Promise<PinError> {
  try {
    await openTrustStore(dir).load(type, name);
  } catch (e) {
    if (e instanceof PinError) return e;
    throw e;
  }
  throw new Error('expected the store to be refused');
}

describe('openTrustStore: notation-go test stores', () => {
  it('reads PEM, DER and multi-certificate files of a named store', async () => {
    const certs = await openTrustStore(NOTATION_GO).load('ca', 'valid-trust-store');
    // GlobalSign.der, GlobalSignRootCA.crt, NotationTestRoot.pem, TestTimestamp.crt,
    // TestTimestampNotYetValid.crt, wabbit-networks.io.crt
    expect(certs).toHaveLength(6);
    expect(await openTrustStore(NOTATION_GO).load('signingAuthority', 'valid-trust-store')).toHaveLength(3);
    expect(await openTrustStore(NOTATION_GO).load('tsa', 'test-timestamp')).toHaveLength(1);
  });
  it('ignores subdirectories', async () => {
    // trust-store-with-directories sits directly under x509/ in the fixtures; present it as a ca store.
    const dir = await mkdtemp(join(tmpdir(), 'np-store-'));
    await mkdir(join(dir, 'x509/ca/s/sub-dir'), { recursive: true });
    const cert = await readFile(join(NOTATION_GO, 'x509/trust-store-with-directories/GlobalSignRootCA.crt'));
    await writeFile(join(dir, 'x509/ca/s/root.crt'), cert);
    await writeFile(join(dir, 'x509/ca/s/sub-dir/ignored.crt'), 'not a certificate');
    expect(await openTrustStore(dir).load('ca', 's')).toHaveLength(1);
  });
  it.each([
    ['ca', 'valid-trust-store_SYMLINK', /is a symbolic link/],
    ['ca', 'trust-store-with-invalid-certs', /not an X\.509 certificate|holds no certificate/],
    ['ca', 'trust-store-with-leaf-certs', /not a CA or self-signed certificate/],
    ['ca', 'trust-store-with-leaf-certs-in-single-file', /not a CA or self-signed certificate/],
    ['tsa', 'test-nonCA', /not a self-signed root CA/],
    ['tsa', 'test-nonSelfIssued', /not a self-signed root CA/],
    ['ca', 'no-such-store', /does not exist/],
    ['ca', '../ca', /invalid/],
  ] as const)('refuses %s:%s', async (type, name, why) => {
    const e = await loadError(NOTATION_GO, type, name);
    expect(e.code).toBe('NOTATION_TRUST_STORE');
    expect(e.message).toMatch(why);
    expect(e.hint).toBeTruthy();
  });
});

describe('openTrustStore: notation e2e TSA roots (test/fixtures/notation/timestamp/notation-e2e)', () => {
  const E2E = join(FIX, 'timestamp/notation-e2e');
  /** A store holding just `file` as tsa:t. */
  async function tsaStoreWith(file: string): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), 'np-store-'));
    await mkdir(join(dir, 'x509/tsa/t'), { recursive: true });
    await writeFile(join(dir, 'x509/tsa/t', file), await readFile(join(E2E, file)));
    return dir;
  }
  it.each(['DigiCertTSARootSHA384.cer', 'globalsignTSARoot.cer'])('accepts the TSA root %s', async (file) => {
    expect(await openTrustStore(await tsaStoreWith(file)).load('tsa', 't')).toHaveLength(1);
  });
  it.each([
    ['invalid.crt', /not an X\.509 certificate|holds no certificate/],
    ['notSelfIssued.crt', /not a self-signed root CA/],
    ['CertChain.pem', /not a self-signed root CA/],
    ['intermediate.pem', /not a self-signed root CA/],
  ])('refuses a tsa store holding %s', async (file, why) => {
    const e = await loadError(await tsaStoreWith(file), 'tsa', 't');
    expect(e.code).toBe('NOTATION_TRUST_STORE');
    expect(e.message).toMatch(why);
  });
});

describe('openTrustStore: rules', () => {
  const pem = () => readFile(join(FIX, 'x509/pem.crt'));

  it('refuses the notation-go store holding a symlinked certificate (trust-store-with-cert-symlinks)', async () => {
    // That store sits directly under x509/ in notation-go's fixtures; present it as ca:links.
    const dir = await mkdtemp(join(tmpdir(), 'np-store-'));
    await mkdir(join(dir, 'x509/ca'), { recursive: true });
    await symlink(join(NOTATION_GO, 'x509/trust-store-with-cert-symlinks'), join(dir, 'x509/ca/links'));
    // The named store directory itself is a symlink here: refused first.
    expect((await loadError(dir, 'ca', 'links')).message).toMatch(/ca:links directory .* is a symbolic link/);
    await mkdir(join(dir, 'x509/ca/copy'));
    await writeFile(join(dir, 'x509/ca/copy/GlobalSignRootCA.crt'), await readFile(join(NOTATION_GO, 'x509/trust-store-with-cert-symlinks/GlobalSignRootCA.crt')));
    await symlink('GlobalSignRootCA.crt', join(dir, 'x509/ca/copy/GlobalSignRootCA_SYMLINK.crt'));
    expect((await loadError(dir, 'ca', 'copy')).message).toMatch(/GlobalSignRootCA_SYMLINK\.crt is a symbolic link/);
  });

  it('refuses a symlinked certificate file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'np-store-'));
    await mkdir(join(dir, 'x509/ca/s'), { recursive: true });
    await writeFile(join(dir, 'x509/ca/s/root.crt'), await pem());
    await symlink(join(dir, 'x509/ca/s/root.crt'), join(dir, 'x509/ca/s/link.crt'));
    expect((await loadError(dir, 'ca', 's')).message).toMatch(/link\.crt is a symbolic link/);
  });
  it('refuses a symlinked x509 directory', async () => {
    const real = await mkdtemp(join(tmpdir(), 'np-store-'));
    await mkdir(join(real, 'x509/ca/s'), { recursive: true });
    await writeFile(join(real, 'x509/ca/s/root.crt'), await pem());
    const dir = await mkdtemp(join(tmpdir(), 'np-store-'));
    await symlink(join(real, 'x509'), join(dir, 'x509'));
    expect((await loadError(dir, 'ca', 's')).message).toMatch(/is a symbolic link/);
  });
  it('follows a symlinked trust store root (the configured directory itself)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'np-store-'));
    await symlink(NOTATION_GO, join(dir, 'truststore'));
    expect(await openTrustStore(join(dir, 'truststore')).load('tsa', 'test-timestamp')).toHaveLength(1);
  });

  it('refuses an oversize file and an empty store', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'np-store-'));
    await mkdir(join(dir, 'x509/ca/big'), { recursive: true });
    await mkdir(join(dir, 'x509/ca/empty'), { recursive: true });
    await writeFile(join(dir, 'x509/ca/big/root.pem'), Buffer.alloc(300 * 1024, 0x41));
    expect((await loadError(dir, 'ca', 'big')).message).toMatch(/larger than/);
    expect((await loadError(dir, 'ca', 'empty')).message).toMatch(/holds no certificates/);
  });
  it('caches a loaded store; a failed load is retried', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'np-store-'));
    const store = openTrustStore(dir);
    await expect(store.load('ca', 's')).rejects.toThrow(/does not exist/);
    await mkdir(join(dir, 'x509/ca/s'), { recursive: true });
    await writeFile(join(dir, 'x509/ca/s/root.crt'), await pem());
    const first = await store.load('ca', 's');
    await writeFile(join(dir, 'x509/ca/s/root.crt'), 'garbage');
    expect(await store.load('ca', 's')).toBe(first);
  });
});

describe('parseCertificateFile', () => {
  it('reads PEM, multi-PEM, DER and concatenated DER', async () => {
    expect(parseCertificateFile(await readFile(join(FIX, 'x509/pem.crt')))).toHaveLength(1);
    expect(parseCertificateFile(await readFile(join(FIX, 'x509/multi-pem.crt')))).toHaveLength(2);
    expect(parseCertificateFile(await readFile(join(FIX, 'x509/der.der')))).toHaveLength(1);
    expect(parseCertificateFile(await readFile(join(FIX, 'x509/multi-der.der')))).toHaveLength(2);
  });
  it('refuses garbage, keys and text around PEM blocks', async () => {
    expect(parseCertificateFile(await readFile(join(FIX, 'x509/invalid')))).toBeTypeOf('string');
    expect(parseCertificateFile(Buffer.from('-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n'))).toMatch(/PRIVATE KEY/);
    const pem = await readFile(join(FIX, 'x509/pem.crt'), 'utf8');
    expect(parseCertificateFile(Buffer.from(`${pem}\nextra`))).toMatch(/outside PEM/);
  });
});
