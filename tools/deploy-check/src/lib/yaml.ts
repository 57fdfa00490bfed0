import { parseAllDocuments, parseDocument } from 'yaml';

/** A Kubernetes-style object as parsed from YAML; fields are checked before use. */
export type Obj = Record<string, unknown>;

export function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The object at `path` (dot-separated keys, or an array of keys), or undefined. */
export function at(v: unknown, path: string | readonly (string | number)[]): unknown {
  const keys = typeof path === 'string' ? path.split('.') : path;
  let cur: unknown = v;
  for (const k of keys) {
    if (Array.isArray(cur) && typeof k === 'number') cur = cur[k];
    else if (isObj(cur)) cur = cur[String(k)];
    else return undefined;
  }
  return cur;
}

export function arr(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}

/** Parses a single YAML document strictly (errors and warnings throw, no duplicate keys). */
export function parseYaml(text: string, source: string): unknown {
  const doc = parseDocument(text, { uniqueKeys: true, merge: true, prettyErrors: true });
  const problems = [...doc.errors, ...doc.warnings];
  if (problems.length > 0) throw new Error(`${source}: ${problems.map((e) => e.message).join('\n')}`);
  return doc.toJS({ maxAliasCount: 1000 });
}

/** Parses a multi-document YAML stream (e.g. `kubectl kustomize` output) strictly; empty documents are dropped. */
export function parseYamlStream(text: string, source: string): Obj[] {
  const out: Obj[] = [];
  for (const doc of parseAllDocuments(text, { uniqueKeys: true, prettyErrors: true })) {
    const problems = [...doc.errors, ...doc.warnings];
    if (problems.length > 0) throw new Error(`${source}: ${problems.map((e) => e.message).join('\n')}`);
    const js: unknown = doc.toJS();
    if (js === null || js === undefined) continue;
    if (!isObj(js)) throw new Error(`${source}: a document is not a mapping`);
    out.push(js);
  }
  return out;
}
