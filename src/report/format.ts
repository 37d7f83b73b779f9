/** Turns outcomes and errors into KRM `results` and the stderr summary (the webhook's words are in admission.ts). */
import type { ImageOutcome } from '../engine/evaluate.js';
import type { Resolution } from '../engine/port.js';
import type { PinError, ResourceRef } from '../errors/errors.js';
import type { KrmResult } from '../manifest/manifest.js';

export type { KrmResult };

export type FileLookup = (resourceIndex: number) => { path: string; index?: number } | undefined;

/** Control characters become visible `\u001b`-style escapes, so hostile metadata cannot forge output lines. */
export function clean(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

export function resourceLabel(ref: ResourceRef | undefined): string {
  if (!ref) return '(input)';
  const name = ref.name ?? '(unnamed)';
  return clean(`${ref.kind ?? '(no kind)'} ${ref.namespace ? `${ref.namespace}/` : ''}${name}`);
}

export function errorText(error: PinError): string {
  return clean(error.hint ? `${error.message}; hint: ${error.hint}` : error.message);
}

/** `notary-pin: error: <message>; hint: <hint> [CODE]`. */
export function errorLine(error: PinError): string {
  return `notary-pin: error: ${errorText(error)} [${error.code}]`;
}

/** `written: false` when the run failed: its pins were not written, so they read "would pin". */
export interface ReportOptions {
  written?: boolean;
}

function imageText(image: unknown): string {
  return clean(typeof image === 'string' ? image : (JSON.stringify(image) ?? String(image)));
}

/** Who vouched for a digest, for people: Notary role, or Notation signer and scheme; unverified says so. */
export function signedBy(r: Resolution): string {
  return r.via === undefined ? signerText(r) : `${signerText(r)}; ${clean(r.via)}`;
}

function signerText(r: Resolution): string {
  if (r.unverified !== undefined) return clean(r.unverified);
  const platform = r.platform === undefined ? '' : `; ${r.platform}`;
  if (r.system === 'notation') return clean(`${r.signer ?? 'unknown signer'} (Notation, ${r.role})${platform}`);
  return clean(`${r.signer ?? r.role}${platform}`);
}

/** One result per image use, plus errors about no single image; undefined fields are dropped when written. */
export function toKrmResults(outcomes: readonly ImageOutcome[], fileOf: FileLookup, extra: readonly PinError[] = [], opts: ReportOptions = {}): KrmResult[] {
  const written = opts.written !== false;
  return [...outcomes.map((o) => outcomeResult(o, fileOf, written)), ...extra.map(errorResult)];
}

type ResultBase = Pick<KrmResult, 'resourceRef' | 'file'>;

function outcomeResult(o: ImageOutcome, fileOf: FileLookup, written: boolean): KrmResult {
  const base: ResultBase = {
    resourceRef: { ...o.use.resource }, // its own object: uses of one resource share theirs
    file: fileOf(o.use.resourceIndex),
  };
  const image = imageText(o.use.image);
  const field = { path: o.use.field, currentValue: o.use.image };
  switch (o.status) {
    case 'failed':
      return { severity: 'error', message: `${image}: ${errorText(o.error)}`, ...base, field, tags: withRole({ code: o.error.code }, o.error) };
    case 'waived':
      // Not enforced: the field is left as written and the run does not fail on it.
      return {
        severity: 'warning',
        message: `${image}: NOT ENFORCED (${clean(o.why)}): ${errorText(o.error)}`,
        ...base,
        field,
        tags: withRole({ code: o.error.code, outcome: 'not-enforced', enforcement: o.enforcement, rule: clean(o.rule) }, o.error),
      };
    case 'unchecked':
      return { severity: 'warning', message: `${image}: ${errorText(o.error)}`, ...base, field, tags: { code: o.error.code } };
    case 'excluded':
      return { severity: 'info', message: `${image}: excluded by spec.exclude, left as is`, ...base, field, tags: { outcome: 'excluded' } };
    case 'pinned':
      return pinnedResult(o, image, base, written);
    case 'verified':
      return verifiedResult(o, image, base);
  }
}

function withRole(tags: Record<string, string>, e: PinError): Record<string, string> {
  if (e.role) tags.role = e.role;
  return tags;
}

function verifiedResult(o: Extract<ImageOutcome, { status: 'verified' }>, image: string, base: ResultBase): KrmResult {
  const unverified = o.resolution.unverified !== undefined;
  return {
    severity: unverified || hasLogged(o.resolution) ? 'warning' : 'info',
    message:
      (unverified ? `${image}: digest admitted WITHOUT signature verification (${signedBy(o.resolution)})` : `${image}: digest signed by ${signedBy(o.resolution)}`) +
      loggedText(o.resolution),
    ...base,
    field: { path: o.use.field, currentValue: o.use.image },
    tags: { outcome: 'verified', ...resolutionTags(o.resolution) },
  };
}

/** The result of an error that concerns no single image (it may name a resource, field or file). */
function errorResult(e: PinError): KrmResult {
  return {
    severity: 'error',
    message: errorText(e),
    resourceRef: e.resource,
    field: e.field ? { path: e.field } : undefined,
    file: e.file,
    tags: { code: e.code },
  };
}

function hasLogged(r: Resolution): boolean {
  return (r.logged !== undefined && r.logged.length > 0) || r.stale !== undefined;
}

/** The logged-checks and stale-data note (empty when neither). */
export function loggedText(r: Resolution): string {
  const logged = r.logged !== undefined && r.logged.length > 0 ? `; the trust policy only logs these failed checks: ${r.logged.join('; ')}` : '';
  const stale = r.stale !== undefined ? `; answered from cached trust data verified earlier because the server could not be reached (staleIfErrorSeconds): ${r.stale}` : '';
  return clean(logged + stale);
}

/** Result tags: the role; Notation adds the trust system, and `unverified` when nothing was checked. */
function resolutionTags(r: Resolution): Record<string, string> {
  const tags: Record<string, string> = { role: clean(r.role) };
  if (r.system === 'notation') tags.system = 'notation';
  if (r.signer !== undefined && r.system === 'notation') tags.signer = clean(r.signer);
  if (r.unverified !== undefined) tags.unverified = 'true';
  if (r.logged !== undefined && r.logged.length > 0) tags.logged = r.logged.map((l) => clean(l.split(':')[0] ?? '')).join(',');
  if (r.platform !== undefined) tags.platform = clean(r.platform);
  if (r.via !== undefined) tags.via = clean(r.via);
  if (r.stale !== undefined) tags.stale = 'true';
  return tags;
}

function pinnedResult(o: Extract<ImageOutcome, { status: 'pinned' }>, image: string, base: ResultBase, written: boolean): KrmResult {
  const by = signedBy(o.resolution);
  const tags = resolutionTags(o.resolution);
  const unverified = o.resolution.unverified !== undefined;
  const severity = unverified || hasLogged(o.resolution) ? 'warning' : 'info';
  const logged = loggedText(o.resolution);
  const { digest } = o.resolution;
  if (!o.changed) {
    return { severity, message: `${image}: already pinned to ${digest}, signed by ${by}${logged}`, ...base, field: { path: o.use.field, currentValue: o.use.image }, tags: { outcome: 'unchanged', ...tags } };
  }
  const what = unverified ? `${digest} WITHOUT signature verification (${by}` : `${digest} (signed by ${by}`;
  return {
    severity,
    message: (written ? `${image}: pinned to ${what})` : `${image}: would pin to ${what}; not written: the run failed)`) + logged,
    ...base,
    field: { path: o.use.field, currentValue: o.use.image, proposedValue: o.newValue },
    tags: { outcome: written ? 'pinned' : 'would-pin', ...tags },
  };
}

/** The human summary: one line per unique (image, outcome), with where it is used. */
export function summaryLines(outcomes: readonly ImageOutcome[], opts: ReportOptions = {}): string[] {
  const written = opts.written !== false;
  const groups = new Map<string, { line: string; first: string; count: number }>();
  for (const o of outcomes) {
    const image = imageText(o.use.image);
    let line: string;
    switch (o.status) {
      case 'failed':
        line = `FAILED    ${image}: ${errorText(o.error)} [${o.error.code}]`;
        break;
      case 'excluded':
        line = `excluded  ${image}`;
        break;
      case 'unchecked':
        line = `UNCHECKED ${image}: ${errorText(o.error)} [${o.error.code}]`;
        break;
      case 'waived':
        line = `NOT ENFORCED ${image}: ${errorText(o.error)} [${o.error.code}; ${clean(o.why)}]`;
        break;
      case 'pinned':
        if (!o.changed) line = `unchanged ${image} (${signedBy(o.resolution)})`;
        else if (written) line = `pinned    ${image} -> ${o.newValue} (${signedBy(o.resolution)})`;
        else line = `would pin ${image} -> ${o.newValue} (${signedBy(o.resolution)}; not written: the run failed)`;
        if (o.resolution.unverified !== undefined) line = `UNVERIFIED ${line.trimStart()}`;
        break;
      case 'verified':
        line = `${o.resolution.unverified !== undefined ? 'UNVERIFIED' : 'verified '} ${image} (${signedBy(o.resolution)})`;
        break;
    }
    if ((o.status === 'pinned' || o.status === 'verified') && o.resolution.logged !== undefined && o.resolution.logged.length > 0) line += ` [logged: ${resolutionTags(o.resolution).logged}]`;
    if ((o.status === 'pinned' || o.status === 'verified') && o.resolution.stale !== undefined) line += ' [STALE: from cached trust data, the server could not be reached]';
    const g = groups.get(line);
    if (g === undefined) groups.set(line, { line, first: `${resourceLabel(o.use.resource)} ${o.use.field}`, count: 1 });
    else g.count++;
  }
  return [...groups.values()].map((g) => (g.count === 1 ? `${g.line}  <- ${g.first}` : `${g.line}  <- ${g.first} and ${g.count - 1} more`));
}

export function tally(outcomes: readonly ImageOutcome[]): Record<ImageOutcome['status'], number> {
  const t = { pinned: 0, verified: 0, excluded: 0, unchecked: 0, failed: 0, waived: 0 };
  for (const o of outcomes) t[o.status]++;
  return t;
}
