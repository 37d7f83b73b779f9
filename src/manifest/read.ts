/**
 * Reads a KRM `ResourceList` or a plain YAML/JSON document stream into a `Manifest`: the indexed reader
 * (indexed-reader.ts) for plain input, else the `yaml` Document reader here, the reference.
 * Input rules (INPUT_INVALID, or INPUT_TOO_LARGE): size cap checked before parsing; empty input is an
 * empty stream; any YAML error or warning is fatal; unknown or self-containing aliases are invalid and
 * expansion beyond `maxAliasCount` is too large; merge keys (`<<`) apply as in Kubernetes; each non-null
 * document is a mapping; a ResourceList is the only document, apiVersion `config.kubernetes.io/v1` or
 * `/v1alpha1`, `items` a list (missing/null: empty); every resource has string `apiVersion` and `kind`.
 */
import { LineCounter, isMap, isScalar, isSeq, parseAllDocuments, visit } from 'yaml';
import type { Document, Node, YAMLMap } from 'yaml';
import { PinError } from '../errors/errors.js';
import { DocumentManifest, ManifestItem, type DocState, type ReadResult } from './document-model.js';
import { buildFast, fastStateOf } from './indexed-reader.js';
import { nodeAt } from './rewrite.js';
import type { Item, Manifest } from './manifest.js';
import { resourceRefOf } from '../workload/ref.js';

/** The input size cap (INPUT_TOO_LARGE beyond it); `--max-input-bytes` raises it. */
export const DEFAULT_MAX_INPUT = 16 * 1024 * 1024;
export const DEFAULT_MAX_ALIAS_COUNT = 100;
export const RESOURCE_LIST_API_VERSIONS = ['config.kubernetes.io/v1', 'config.kubernetes.io/v1alpha1'] as const;

export interface ParseOptions {
  /** Input size cap in UTF-8 bytes, checked before parsing. */
  maxBytes?: number;
  maxAliasCount?: number;
  /** `full`: only the `yaml` reader; `auto`/`fast`: indexed reader first. Default: $NOTARY_PIN_YAML_PATH, auto. */
  yamlPath?: YamlPath;
  /** When given, the indexed reader keeps no document values: `item.object` re-reads the source on use. */
  resources?: ResourceSink<unknown>;
  /** Called once per resource, in order, after a reader accepted the whole input (objects held until then). */
  onResource?: (object: Record<string, unknown>, index: number) => void;
}

/**
 * `pick` runs as each resource is read and must have no side effects (a reader may give up and the next
 * picks again); `take` runs once per resource, in order, after a reader accepted the whole input.
 */
export interface ResourceSink<T> {
  pick(object: Record<string, unknown>, index: number): T;
  take(picked: T, index: number): void;
}

export type YamlPath = 'auto' | 'fast' | 'full';

function yamlPathOf(opts: ParseOptions): YamlPath {
  if (opts.yamlPath !== undefined) return opts.yamlPath;
  const env = process.env.NOTARY_PIN_YAML_PATH;
  return env === 'full' || env === 'fast' ? env : 'auto';
}

export function parsePathOf(model: Manifest): 'fast' | 'full' {
  return fastStateOf(model) !== undefined ? 'fast' : 'full';
}

export const yamlOptions = (lineCounter?: LineCounter) =>
  ({ merge: true, uniqueKeys: true, strict: true, prettyErrors: true, lineCounter }) as const;

const invalid = (message: string, hint: string, cause?: unknown): PinError =>
  new PinError({ code: 'INPUT_INVALID', message, hint, cause });

function decode(input: string | Uint8Array, maxBytes: number): string {
  const tooLarge = (size: string) =>
    new PinError({
      code: 'INPUT_TOO_LARGE',
      message: `input is ${size} bytes, more than the limit of ${maxBytes} bytes`,
      hint: 'split the input into smaller runs, or raise the limit (notary-pin --max-input-bytes N)',
    });
  if (typeof input === 'string') {
    // UTF-8 needs at least one byte per UTF-16 code unit: a cheap first check before counting.
    if (input.length > maxBytes) throw tooLarge(`at least ${input.length}`);
    const bytes = Buffer.byteLength(input, 'utf8');
    if (bytes > maxBytes) throw tooLarge(String(bytes));
    return input;
  }
  if (input.byteLength > maxBytes) throw tooLarge(String(input.byteLength));
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(input);
  } catch (e) {
    throw invalid('input is not valid UTF-8', 'YAML and JSON input must be UTF-8 encoded', e);
  }
}

export function detectEol(text: string): '\n' | '\r\n' {
  const i = text.indexOf('\n');
  return i > 0 && text[i - 1] === '\r' ? '\r\n' : '\n';
}

function where(lc: LineCounter, offset: number | undefined): string {
  if (offset === undefined) return '';
  const { line, col } = lc.linePos(offset);
  return ` at line ${line}, column ${col}`;
}

function checkDocument(doc: Document.Parsed, n: number, lc: LineCounter): void {
  const problems = [...doc.errors, ...doc.warnings];
  const first = problems[0];
  if (first !== undefined) {
    const msg = first.message.split('\n')[0] ?? first.message;
    const pos = first.linePos?.[0];
    const at = pos && !/ at line \d+/.test(msg) ? ` at line ${pos.line}, column ${pos.col}` : '';
    const more = problems.length > 1 ? ` (and ${problems.length - 1} more problem${problems.length > 2 ? 's' : ''})` : '';
    throw invalid(
      `document ${n + 1} is not valid YAML: ${msg.replace(/:$/, '')}${at}${more}`,
      first.code === 'DUPLICATE_KEY' ? 'remove the duplicate key: a mapping may name each key once' : 'fix the YAML at that position',
    );
  }
  visit(doc, {
    Alias(_key, node, path) {
      const target = node.resolve(doc);
      if (target === undefined) {
        throw invalid(`document ${n + 1}: unknown alias *${node.source}${where(lc, node.range?.[0])}`, 'define the anchor (&name) before using the alias');
      }
      if ((path as readonly unknown[]).includes(target)) {
        throw invalid(`document ${n + 1}: alias *${node.source} is inside its own anchor${where(lc, node.range?.[0])}`, 'recursive YAML structures are not allowed');
      }
    },
  });
}

function docToJS(doc: Document.Parsed, n: number, maxAliasCount: number): unknown {
  try {
    return doc.toJS({ maxAliasCount });
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    if (/Excessive alias count/.test(msg)) {
      throw new PinError({
        code: 'INPUT_TOO_LARGE',
        message: `document ${n + 1}: YAML aliases expand too much (more than ${maxAliasCount} alias expansions; a "billion laughs" input?)`,
        hint: 'write the repeated structures out instead of nesting aliases',
        cause: e,
      });
    }
    throw invalid(`document ${n + 1} can not be read: ${msg}`, 'check the YAML anchors and aliases of that document', e);
  }
}

const isNullDoc = (doc: Document.Parsed): boolean => doc.contents === null || (isScalar(doc.contents) && doc.contents.value === null);

function describe(node: unknown): string {
  if (isSeq(node)) return 'a list';
  if (isMap(node)) return 'a mapping';
  if (isScalar(node)) return `a scalar (${JSON.stringify(node.value)?.slice(0, 40) ?? String(node.value)})`;
  return 'not a mapping';
}

function checkResource(obj: Record<string, unknown>, label: string): void {
  const name = resourceRefOf(obj).name;
  const named = name !== undefined ? ` (name "${name}")` : '';
  for (const key of ['apiVersion', 'kind'] as const) {
    const v = obj[key];
    if (typeof v !== 'string' || v === '') {
      throw invalid(
        `${label}${named} has ${v === undefined ? 'no' : 'an invalid'} ${key}`,
        'every resource needs a string apiVersion and kind, e.g. "apiVersion: apps/v1" and "kind: Deployment"',
      );
    }
  }
}

interface ReadRequest {
  readonly text: string;
  readonly maxAliasCount: number;
  readonly pick: ResourceSink<unknown>['pick'] | undefined;
}

/** `read` is undefined when the reader cannot prove it reads the input as the reference does (next one tries). */
interface ManifestReader {
  read(request: ReadRequest): ReadResult | undefined;
}

const indexedReader: ManifestReader = {
  read: (r) =>
    buildFast({
      text: r.text,
      eol: detectEol(r.text),
      resourceListApiVersions: RESOURCE_LIST_API_VERSIONS,
      refOf: resourceRefOf,
      full: () => parseFull(r.text, r.maxAliasCount),
      pick: r.pick,
    }),
};

const documentReader: ManifestReader = {
  read: (r) => {
    const model = parseFull(r.text, r.maxAliasCount);
    const pick = r.pick;
    return { model, picked: pick !== undefined ? model.items.map((item) => pick(item.object, item.index)) : [] };
  },
};

/** The caller's sink: `resources`, or `onResource` behind a sink that picks the whole object. */
function sinkOf(opts: ParseOptions): ResourceSink<unknown> | undefined {
  if (opts.resources !== undefined) return opts.resources;
  const onResource = opts.onResource;
  if (onResource === undefined) return undefined;
  return { pick: (object) => object, take: (picked, index) => onResource(picked as Record<string, unknown>, index) };
}

/** Bytes are size-checked before decoding; resources are handed out only once a reader accepted the input. */
export function parseInput(input: string | Uint8Array, opts: ParseOptions = {}): Manifest {
  const text = decode(input, opts.maxBytes ?? DEFAULT_MAX_INPUT);
  const sink = sinkOf(opts);
  const request: ReadRequest = { text, maxAliasCount: opts.maxAliasCount ?? DEFAULT_MAX_ALIAS_COUNT, pick: sink?.pick.bind(sink) };
  const readers = yamlPathOf(opts) === 'full' ? [documentReader] : [indexedReader, documentReader];
  for (const reader of readers) {
    const read = reader.read(request);
    if (read === undefined) continue;
    if (sink !== undefined) for (let i = 0; i < read.model.items.length; i++) sink.take(read.picked[i], i);
    return read.model;
  }
  throw new PinError({ code: 'INTERNAL', message: 'no YAML reader read the input' });
}

/** The reference parser, and the one that reports every input error. */
function parseFull(text: string, maxAliasCount: number): Manifest {
  const lc = new LineCounter();
  let docs: Document.Parsed[];
  try {
    docs = parseAllDocuments(text, yamlOptions(lc)) as Document.Parsed[];
  } catch (e) {
    // e.g. a stack overflow on absurdly deep nesting
    throw invalid(`input can not be parsed as YAML: ${e instanceof Error ? e.message : String(e)}`, 'check that the input is YAML or JSON', e);
  }
  if (!Array.isArray(docs)) {
    throw invalid('input can not be parsed as YAML', 'check that the input is YAML or JSON');
  }
  const eol = detectEol(text);
  const states: DocState[] = docs.map((doc) => ({ doc, edits: new Map(), inserts: new Map() }));
  const live: { n: number; obj: Record<string, unknown>; root: YAMLMap }[] = [];
  docs.forEach((doc, n) => {
    checkDocument(doc, n, lc);
    if (isNullDoc(doc)) return;
    const root = doc.contents;
    if (!isMap(root)) {
      throw invalid(`document ${n + 1}${where(lc, root?.range?.[0])} is ${describe(root)}, not a mapping`, 'each YAML document must be one Kubernetes object (a mapping with apiVersion and kind)');
    }
    const obj = docToJS(doc, n, maxAliasCount) as Record<string, unknown>;
    live.push({ n, obj, root });
  });

  const rlDocs = live.filter((d) => d.obj.kind === 'ResourceList');
  const first = live[0];
  if (rlDocs.length > 0 && first !== undefined) {
    if (live.length > 1) {
      throw invalid(
        `input mixes a ResourceList with ${live.length - 1} other document${live.length > 2 ? 's' : ''}`,
        'give either one ResourceList (KRM function input) or a stream of plain resources, not both',
      );
    }
    return buildResourceList(text, states, first, eol, lc, maxAliasCount);
  }

  const items: Item[] = live.map(({ n, obj, root }, index) => {
    checkResource(obj, `document ${n + 1}${where(lc, root.range?.[0])}`);
    const st = states[n] as DocState;
    return new ManifestItem({ source: text, doc: st.doc, root, rootPath: [], edits: st.edits, inserts: st.inserts }, index, n, obj, resourceRefOf(obj));
  });
  return new DocumentManifest({ form: 'stream', items, documentCount: docs.length, source: text }, { text, docs: states, eol, maxAliasCount });
}

function buildResourceList(
  text: string,
  states: DocState[],
  rl: { n: number; obj: Record<string, unknown>; root: YAMLMap },
  eol: '\n' | '\r\n',
  lc: LineCounter,
  maxAliasCount: number,
): Manifest {
  const apiVersion = rl.obj.apiVersion;
  if (typeof apiVersion !== 'string' || !(RESOURCE_LIST_API_VERSIONS as readonly string[]).includes(apiVersion)) {
    throw invalid(
      `ResourceList has apiVersion ${JSON.stringify(apiVersion) ?? 'undefined'}; expected ${RESOURCE_LIST_API_VERSIONS.join(' or ')}`,
      'KRM function input must be a config.kubernetes.io/v1 ResourceList',
    );
  }
  const st = states[rl.n] as DocState;
  const itemsNode = nodeAt(st.doc, rl.root, ['items']);
  const itemsJs = rl.obj.items;
  let itemNodes: unknown[] = [];
  if (itemsNode !== undefined && !(isScalar(itemsNode) && itemsNode.value === null)) {
    if (!isSeq(itemsNode) || !Array.isArray(itemsJs)) {
      throw invalid(`ResourceList items${where(lc, (itemsNode as { range?: number[] } | null)?.range?.[0])} is ${describe(itemsNode)}, not a list`, 'items must be a list of Kubernetes objects');
    }
    itemNodes = itemsNode.items;
  }
  const items: Item[] = itemNodes.map((raw, i) => {
    const node = nodeAt(st.doc, raw as Node, []);
    const obj = (itemsJs as unknown[])[i];
    const label = `items[${i}]${where(lc, (node as { range?: number[] } | null)?.range?.[0])}`;
    if (!isMap(node) || obj === null || typeof obj !== 'object' || Array.isArray(obj)) {
      throw invalid(`ResourceList ${label} is ${describe(node)}, not a mapping`, 'each item must be a Kubernetes object (a mapping with apiVersion and kind)');
    }
    const o = obj as Record<string, unknown>;
    checkResource(o, `ResourceList ${label}`);
    return new ManifestItem({ source: text, doc: st.doc, root: node, rootPath: ['items', i], edits: st.edits, inserts: st.inserts }, i, rl.n, o, resourceRefOf(o));
  });
  const fields = { form: 'resourceList' as const, items, apiVersion, functionConfig: rl.obj.functionConfig, existingResults: rl.obj.results, documentCount: states.length, source: text };
  return new DocumentManifest(fields, { text, docs: states, eol, resourceList: rl.root, maxAliasCount });
}
