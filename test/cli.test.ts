/**
 * The built CLI (dist bundle from scripts/build.mjs, built into a temp dir) as a subprocess: help,
 * version, usage errors (exit 2), bad input (exit 1, no stack trace), the embedded demo, config
 * errors. No network: nothing here reaches a trust server.
 */
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCliBundle, errorsOf, imagesIn, parseList, type Bundle } from './support/attack/cli.js';

const STACK = /\n\s+at\s|\bat [\w.<>]+ \(.*:\d+:\d+\)/;
const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };

const LIST = `apiVersion: config.kubernetes.io/v1
kind: ResourceList
items:
- apiVersion: v1
  kind: Pod
  metadata:
    name: p # a comment
  spec:
    containers:
    - name: c
      image: registry.example.com/team/app:1.0
`;

describe('notary-pin CLI (built bundle, subprocess)', () => {
  let cli: Bundle;
  let work: string;
  beforeAll(async () => {
    [cli, work] = await Promise.all([buildCliBundle(), mkdtemp(join(tmpdir(), 'notary-pin-cli-'))]);
  }, 180_000);
  afterAll(async () => {
    await cli?.cleanup();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('--help prints usage with the subcommands and exits 0', async () => {
    const r = await cli.run(['--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Usage: notary-pin');
    for (const word of ['webhook', 'demo', 'fn']) expect(r.stdout).toContain(word);
    const fnHelp = await cli.run(['fn', '--help']);
    expect(fnHelp.code).toBe(0);
    for (const flag of ['--config', '--mode', '--reference', '--input', '--output', '--max-input-bytes', '--quiet']) expect(fnHelp.stdout).toContain(flag);
  });

  it('`revocation fetch` is reachable (loaded on use): usage errors exit 2, an empty chain makes an empty bundle', async () => {
    const usage = await cli.run(['revocation', 'fetch']);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain("required option '-o, --out <dir>'");
    const pemFile = join(work, 'chain.pem');
    const { createTestCA } = await import('../src/demo/pki.js');
    await writeFile(pemFile, createTestCA().certPem);
    const out = join(work, 'bundle');
    const r = await cli.run(['revocation', 'fetch', '-o', out, '--chain', pemFile]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`0 file(s) in ${out}`);
  });

  it('--version prints the package version and exits 0', async () => {
    const r = await cli.run(['--version']);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe(pkg.version);
  });

  it.each([
    [['--bogus'], /unknown option/],
    [['--mode', 'sideways'], /sideways/],
    [['--reference', 'tag'], /tag/],
    [['--max-input-bytes', '0'], /positive integer/],
    [['--max-input-bytes', 'many'], /positive integer/],
    [['webhook'], /required option/],
    [['webhook', '--config', 'x.yaml'], /required option/],
    [['nonsense-command', 'extra'], /too many arguments|unknown command|error/],
  ])('usage error %j → exit 2, a message, no stack trace', async (args, message) => {
    const r = await cli.run(args, { input: LIST });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).not.toMatch(STACK);
    expect(r.stdout).toBe('');
  });

  it.each([
    ['{{', 'INPUT_INVALID'],
    ['items: [1, 2', 'INPUT_INVALID'],
    ['\u0000\u0001\u0002 binary', 'INPUT_INVALID'],
    ['apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems: 7\n', 'INPUT_INVALID'],
    ['- just\n- a list\n', 'INPUT_INVALID'],
  ])('bad input %j → exit 1, %s on stderr, nothing on stdout, no stack trace', async (input, code) => {
    const r = await cli.run([], { input });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(code);
    expect(r.stderr).toMatch(/^notary-pin: error: /);
    expect(r.stderr).not.toMatch(STACK);
  });

  it('input over --max-input-bytes → INPUT_TOO_LARGE, exit 1', async () => {
    const r = await cli.run(['--max-input-bytes', '100'], { input: LIST });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('INPUT_TOO_LARGE');
    expect(r.stderr).not.toMatch(STACK);
  });

  it('`notary-pin demo` exits 0 and prints a pinned ResourceList: every non-excluded image has @sha256:', async () => {
    const r = await cli.run(['demo'], { timeoutMs: 60_000 });
    expect(r.stderr).not.toMatch(STACK);
    expect(r.code).toBe(0);
    const list = parseList(r.stdout);
    expect(list.kind).toBe('ResourceList');
    expect(list.items.length).toBeGreaterThan(0);
    expect(errorsOf(list)).toEqual([]);
    const excluded = new Set((list.results ?? []).filter((x) => x.tags?.outcome === 'excluded').map((x) => String(x.field?.currentValue)));
    const images = imagesIn(list.items);
    const checked = images.filter((i) => !excluded.has(i));
    expect(checked.length).toBeGreaterThanOrEqual(3);
    for (const img of checked) expect(img).toMatch(/^[^@\s]+:[\w.-]+@sha256:[0-9a-f]{64}$/);
    const pinnedResults = (list.results ?? []).filter((x) => x.tags?.outcome === 'pinned');
    expect(pinnedResults.length).toBeGreaterThanOrEqual(3);
    for (const p of pinnedResults) expect(images).toContain(p.field?.proposedValue);
    expect(r.stderr).toMatch(/pinned/);
    // a Notation-signed image pinned beside the Notary v1 ones, and an unsigned one refused
    expect(pinnedResults.some((p) => p.tags?.system === 'notation')).toBe(true);
    expect(r.stderr).toMatch(/^pinned +127\.0\.0\.1:\d+\/shop\/checkout:2\.0\.0 -> \S+@sha256:[0-9a-f]{64} \(CN=notary-pin demo release signer \(Notation, notary\.x509\)\)/m);
    expect(r.stderr).toMatch(/^FAILED +127\.0\.0\.1:\d+\/shop\/experimental:0\.1: no Notation signature in the registry .*\[UNSIGNED\]/m);
  });

  it('a missing --config file → CONFIG_INVALID (stream: nothing on stdout; ResourceList: unchanged items + results)', async () => {
    const missing = join(work, 'does-not-exist.yaml');
    const stream = await cli.run(['--config', missing], { input: LIST.split('items:\n')[1]!.replace(/^- /, '').replace(/^ {2}/gm, '') });
    expect(stream.code).toBe(1);
    expect(stream.stdout).toBe('');
    expect(stream.stderr).toContain('CONFIG_INVALID');
    expect(stream.stderr).toContain('does-not-exist.yaml');
    expect(stream.stderr).not.toMatch(STACK);

    const rl = await cli.run(['--config', missing], { input: LIST });
    expect(rl.code).toBe(1);
    const out = parseList(rl.stdout);
    expect(out.items).toEqual(parseList(LIST).items);
    expect(rl.stdout).toContain('# a comment');
    expect(errorsOf(out).map((e) => e.tags?.code)).toEqual(['CONFIG_INVALID']);
  });

  it('a plain stream without any config fails closed; an invalid config names the bad field', async () => {
    const stream = 'apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {containers: [{name: c, image: nginx}]}\n';
    const none = await cli.run([], { input: stream });
    expect(none.code).toBe(1);
    expect(none.stdout).toBe('');
    // --help says --config is required for plain streams: without it the run is refused outright.
    expect(none.stderr).toContain('CONFIG_INVALID');
    expect(none.stderr).toContain('--config');

    const cfg = join(work, 'bad.yaml');
    await writeFile(cfg, 'apiVersion: notary-pin.dev/v1alpha1\nkind: NotaryPin\nspec:\n  mdoe: pin\n');
    const bad = await cli.run(['--config', cfg], { input: stream });
    expect(bad.code).toBe(1);
    expect(bad.stdout).toBe('');
    expect(bad.stderr).toContain('CONFIG_INVALID');
    expect(bad.stderr).toContain('mdoe');
    expect(bad.stderr).not.toMatch(STACK);
  });

  it('an image no trust rule covers → NO_TRUST_RULE, exit 1, ResourceList unchanged (no network needed)', async () => {
    const cfg = join(work, 'rules.yaml');
    await writeFile(cfg, 'apiVersion: notary-pin.dev/v1alpha1\nkind: NotaryPin\nspec:\n  trust:\n  - images: ["other.example/**"]\n    rootKeys: ["' + '0'.repeat(64) + '"]\n');
    const r = await cli.run(['--config', cfg], { input: LIST });
    expect(r.code).toBe(1);
    const out = parseList(r.stdout);
    expect(out.items).toEqual(parseList(LIST).items);
    const [e] = errorsOf(out);
    expect(e).toMatchObject({ tags: { code: 'NO_TRUST_RULE' }, field: { path: 'spec.containers[0].image' }, resourceRef: { kind: 'Pod', name: 'p' } });
    expect(r.stderr).toContain('FAILED');
  });

  it('-i/-o read and write files; -o is not written on failure', async () => {
    const input = join(work, 'in.yaml');
    const output = join(work, 'out.yaml');
    await writeFile(input, '{{');
    const r = await cli.run(['-i', input, '-o', output]);
    expect(r.code).toBe(1);
    expect(() => readFileSync(output)).toThrow();
    const missingInput = await cli.run(['-i', join(work, 'nope.yaml')]);
    expect(missingInput.code).toBe(1);
    expect(missingInput.stderr).toContain('nope.yaml');
    expect(missingInput.stderr).not.toMatch(STACK);
  });
});
