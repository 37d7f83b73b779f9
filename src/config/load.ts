/**
 * Turns untrusted configuration (functionConfig, `--config`, the webhook's config file) into a validated
 * `Spec`: a `NotaryPin` object or a ConfigMap with the same keys in `data`. Unknown fields are errors.
 */
import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';
import { CORE_SCHEMA, loadAll } from 'js-yaml';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { PinError } from '../errors/errors.js';
import { API_VERSION, AuthSchema, KIND, NotaryPinConfigSchema, SpecSchema, type AuthConfig, type Spec } from './schema.js';
import { RegistryConfigSchema } from '../registry/config.js';

const CONFIG_HINT = `write functionConfig as "apiVersion: ${API_VERSION}, kind: ${KIND}, spec: {...}" or a ConfigMap with the same keys in data; see README "Configuration"`;

/** The spec without configuration: pin mode, no trust rules (every image fails with NO_TRUST_RULE). */
export function defaultSpec(): Spec {
  return SpecSchema.parse({});
}

/** Validates a functionConfig object; `undefined`/`null` → defaults. */
export function parseFunctionConfig(fc: unknown, source = 'functionConfig'): Spec {
  if (fc === undefined || fc === null) return defaultSpec();
  if (typeof fc !== 'object' || Array.isArray(fc)) {
    throw configError(`${source} must be a mapping, got ${describe(fc)}`);
  }
  const obj = fc as Record<string, unknown>;
  if (obj.kind === 'ConfigMap') return parseConfigMap(obj, source);
  if (obj.kind !== KIND || obj.apiVersion !== API_VERSION) {
    throw configError(
      `${source} has apiVersion ${JSON.stringify(obj.apiVersion)} and kind ${JSON.stringify(obj.kind)}; expected ${API_VERSION} ${KIND} or v1 ConfigMap`,
    );
  }
  const parsed = NotaryPinConfigSchema.safeParse(obj);
  if (!parsed.success) throw zodToPinError(parsed.error, source);
  return parsed.data.spec;
}

/** ConfigMap form: `data` holds the spec's keys as strings; structured values are YAML/JSON text. */
function parseConfigMap(obj: Record<string, unknown>, source: string): Spec {
  const data = obj.data ?? {};
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    throw configError(`${source}: ConfigMap data must be a mapping`);
  }
  const spec: Record<string, unknown> = {};
  const known = new Set(Object.keys(SpecSchema.shape));
  for (const [key, raw] of Object.entries(data as Record<string, unknown>)) {
    if (!known.has(key)) {
      throw configError(`${source}: data.${key}: unknown field${suggest(key, known)}`);
    }
    if (typeof raw !== 'string') {
      throw configError(`${source}: data.${key} must be a string (ConfigMap data values are strings)`);
    }
    spec[key] = decodeConfigMapValue(key, raw, source);
  }
  const parsed = SpecSchema.safeParse(spec);
  if (!parsed.success) throw zodToPinError(parsed.error, `${source}: data`, '');
  return parsed.data;
}

const SCALAR_KEYS: Record<string, 'string' | 'number'> = {
  mode: 'string',
  coverage: 'string',
  reference: 'string',
  cacheDir: 'string',
  provenance: 'string',
  concurrency: 'number',
  cacheTTLSeconds: 'number',
  cacheMaxEntries: 'number',
};

function decodeConfigMapValue(key: string, raw: string, source: string): unknown {
  const kind = SCALAR_KEYS[key];
  if (kind === 'string') return raw.trim();
  if (kind === 'number') {
    const n = Number(raw.trim());
    if (!Number.isFinite(n)) throw configError(`${source}: data.${key}: expected a number, got ${JSON.stringify(raw)}`);
    return n;
  }
  try {
    return parseYaml(raw, { maxAliasCount: 100 }) as unknown;
  } catch (e) {
    throw configError(`${source}: data.${key} is not valid YAML: ${(e as Error).message.split('\n')[0]}`);
  }
}

/** Plain YAML (no anchors, aliases, tags, directives) takes the faster js-yaml core schema; the rest `yaml`. */
export function readYaml(text: string): unknown {
  if (!/(?:^|[\s[\]{},:-])[&*!]|^%/m.test(text)) {
    const docs = loadAll(text, undefined, { schema: CORE_SCHEMA });
    if (docs.length > 1) throw new Error('expected one YAML document, found several');
    return docs[0] ?? null;
  }
  return parseYaml(text, { maxAliasCount: 100, uniqueKeys: true });
}

export async function loadConfigFile(path: string, baseDir?: string): Promise<Spec> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw configError(`cannot read config file ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  let value: unknown;
  try {
    value = readYaml(text);
  } catch (e) {
    throw configError(`config file ${path} is not valid YAML: ${(e as Error).message.split('\n')[0]}`);
  }
  return resolvePaths(parseFunctionConfig(value, path), resolve(baseDir ?? dirname(resolve(path))));
}

const isPem = (s: string): boolean => s.includes('-----BEGIN');

/** Relative paths in a config file resolve against its directory (as kustomize does). */
export function resolvePaths(spec: Spec, baseDir: string): Spec {
  const abs = (p: string | undefined): string | undefined => (p === undefined || isAbsolute(p) ? p : resolve(baseDir, p));
  const absFileOrPem = (p: string | undefined): string | undefined => (p === undefined || isPem(p) ? p : abs(p));
  const absAuth = (a: AuthConfig): AuthConfig => ({ ...a, passwordFile: abs(a.passwordFile), dockerConfig: abs(a.dockerConfig) });
  return {
    ...spec,
    cacheDir: abs(spec.cacheDir),
    revocation: spec.revocation?.bundleDir === undefined ? spec.revocation : { ...spec.revocation, bundleDir: abs(spec.revocation.bundleDir) },
    registries: spec.registries.map((r) => ({ ...r, ca: absFileOrPem(r.ca), auth: r.auth === undefined ? undefined : absAuth(r.auth) })),
    trust: spec.trust.map((rule) => ({
      ...rule,
      ca: absFileOrPem(rule.ca),
      rootCA: absFileOrPem(rule.rootCA),
      trustDir: abs(rule.trustDir),
      notation:
        rule.notation === undefined
          ? undefined
          : {
              ...rule.notation,
              // an inline policy document is an object; a string is a file
              trustPolicy: typeof rule.notation.trustPolicy === 'string' ? abs(rule.notation.trustPolicy) : rule.notation.trustPolicy,
              trustStore: abs(rule.notation.trustStore),
            },
      auth: rule.auth === undefined ? undefined : absAuth(rule.auth),
    })),
  };
}

function zodToPinError(error: z.ZodError, source: string, prefix = ''): PinError {
  const lines = error.issues.slice(0, 10).map((issue) => {
    const path = [prefix, ...issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : String(p)))]
      .filter((s) => s !== '')
      .join('.')
      .replace(/\.\[/g, '[');
    if (issue.code === 'unrecognized_keys') {
      return issue.keys
        .map((k) => `${path ? `${path}.` : ''}${k}: unknown field${suggestForPath(issue.path, k)}`)
        .join('; ');
    }
    return `${path || '(root)'}: ${issue.message}`;
  });
  const more = error.issues.length > 10 ? ` (and ${error.issues.length - 10} more)` : '';
  return configError(`${source}: ${lines.join('; ')}${more}`);
}

function suggestForPath(path: readonly PropertyKey[], key: string): string {
  const p = path.filter((s) => typeof s === 'string') as string[];
  const last = p[p.length - 1];
  let shape: Record<string, unknown> | undefined;
  if (p.length === 0) shape = NotaryPinConfigSchema.shape;
  else if (last === 'spec' || last === undefined) shape = SpecSchema.shape;
  else if (last === 'trust') shape = SpecSchema.shape.trust.unwrap().element.shape;
  else if (last === 'auth') shape = AuthSchema.shape;
  else if (last === 'registries') shape = RegistryConfigSchema.shape;
  else if (last === 'revocation') shape = SpecSchema.shape.revocation.unwrap().shape;
  else if (last === 'notation') shape = SpecSchema.shape.trust.unwrap().element.shape.notation.unwrap().shape;
  else if (last === 'imageFields') shape = SpecSchema.shape.imageFields.unwrap().element.shape;
  return shape ? suggest(key, new Set(Object.keys(shape))) : '';
}

function suggest(key: string, known: Set<string>): string {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const k of known) {
    const d = levenshtein(key.toLowerCase(), k.toLowerCase());
    if (d < bestDistance) {
      best = k;
      bestDistance = d;
    }
  }
  return best !== undefined && bestDistance <= Math.max(2, Math.floor(key.length / 3))
    ? ` (did you mean "${best}"?)`
    : ` (known fields: ${[...known].join(', ')})`;
}

function levenshtein(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return row[b.length]!;
}

function describe(v: unknown): string {
  if (Array.isArray(v)) return 'a list';
  return typeof v === 'string' ? `the string ${JSON.stringify(v.slice(0, 40))}` : typeof v;
}

function configError(message: string): PinError {
  return new PinError({ code: 'CONFIG_INVALID', message, hint: CONFIG_HINT });
}
