import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { baseImages, baseKind, qualify } from './dockerfile';

const REPO = join(__dirname, '../../../..');

describe('the base images of a Dockerfile', () => {
  it('resolves ARG defaults and skips earlier stages', () => {
    const text = [
      'ARG NODE_VERSION=24',
      'ARG DEBIAN_RELEASE=bookworm',
      'FROM node:${NODE_VERSION}-${DEBIAN_RELEASE} AS build',
      'FROM build AS deps',
      'FROM debian:${DEBIAN_RELEASE}-slim',
    ].join('\n');
    expect(baseImages(text)).toEqual([
      'docker.io/library/node:24-bookworm',
      'docker.io/library/debian:bookworm-slim',
    ]);
    expect(baseImages(text, { NODE_VERSION: '22' })[0]).toBe('docker.io/library/node:22-bookworm');
  });

  it('qualifies names as a builder does', () => {
    expect(qualify('node:24')).toBe('docker.io/library/node:24');
    expect(qualify('bitnami/kafka:4')).toBe('docker.io/bitnami/kafka:4');
    expect(qualify('ghcr.io/x/y:1')).toBe('ghcr.io/x/y:1');
    expect(qualify('localhost:5000/y:1')).toBe('localhost:5000/y:1');
  });

  it('knows how to stand in for every base of docker/Dockerfile, on Node 24', () => {
    const bases = baseImages(readFileSync(join(REPO, 'docker/Dockerfile'), 'utf8'));
    expect(bases.length).toBeGreaterThan(0);
    for (const b of bases)
      expect([b, baseKind(b)]).toEqual([b, expect.objectContaining({ debian: 'bookworm' })]);
    const node = bases.map(baseKind).filter((k) => k?.kind === 'node');
    expect(node.length).toBeGreaterThan(0);
    for (const k of node) expect(k?.nodeVersion).toMatch(/^24(\.|$)/);
  });
});
