/**
 * What `npm run images` needs to know of docker/Dockerfile: the base images its stages start FROM (after the
 * ARG defaults are applied), the same way a builder resolves them.
 */

/** `ARG NAME=value` lines before the first FROM → their defaults. */
export function argDefaults(dockerfile: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of dockerfile.split(/\r?\n/)) {
    if (/^\s*FROM\s/i.test(line)) break;
    const m = /^\s*ARG\s+(\w+)=(\S+)\s*$/i.exec(line);
    if (m) out[m[1]] = m[2].replace(/^["']|["']$/g, '');
  }
  return out;
}

export function expand(s: string, args: Record<string, string>): string {
  return s.replace(/\$\{(\w+)\}|\$(\w+)/g, (whole, a?: string, b?: string) => args[a ?? b ?? ''] ?? whole);
}

/** Short image names (`node:24-bookworm`) → the fully qualified name a builder pulls. */
export function qualify(image: string): string {
  const [first] = image.split('/');
  const hasRegistry =
    image.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost');
  if (hasRegistry) return image;
  return image.includes('/') ? `docker.io/${image}` : `docker.io/library/${image}`;
}

/** The external images the Dockerfile's stages start FROM (not earlier stages), fully qualified, in order. */
export function baseImages(dockerfile: string, buildArgs: Record<string, string> = {}): string[] {
  const args = { ...argDefaults(dockerfile), ...buildArgs };
  const stages = new Set<string>();
  const out: string[] = [];
  for (const line of dockerfile.split(/\r?\n/)) {
    const m = /^\s*FROM\s+(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+(\S+))?\s*$/i.exec(line);
    if (!m) continue;
    const image = expand(m[1], args);
    if (!stages.has(image) && image !== 'scratch') {
      const q = qualify(image);
      if (!out.includes(q)) out.push(q);
    }
    if (m[2]) stages.add(m[2]);
  }
  return out;
}

/** `docker.io/library/node:24-bookworm` → { kind: 'node', nodeMajor: '24', debian: 'bookworm', slim: false }. */
export interface BaseKind {
  kind: 'node' | 'debian';
  nodeVersion?: string;
  debian: string;
  slim: boolean;
}

export function baseKind(image: string): BaseKind | undefined {
  const node = /^docker\.io\/library\/node:(\d+(?:\.\d+){0,2})-(\w+?)(-slim)?$/.exec(image);
  if (node) return { kind: 'node', nodeVersion: node[1], debian: node[2], slim: node[3] !== undefined };
  const debian = /^docker\.io\/library\/debian:(\w+?)(-slim)?$/.exec(image);
  if (debian) return { kind: 'debian', debian: debian[1], slim: debian[2] !== undefined };
  return undefined;
}
