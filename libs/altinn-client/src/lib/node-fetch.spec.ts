import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { AltinnApiError } from './errors';
import { readText, send } from './http';
import { createNodeFetch } from './node-fetch';

type Handler = (req: IncomingMessage, res: ServerResponse, body: string) => void;

describe('nodeFetch (the clients’ default HTTP call)', () => {
  let server: Server;
  let base: string;
  let handler: Handler;
  const connections: unknown[] = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => handler(req, res, Buffer.concat(chunks).toString('utf8')));
    });
    server.on('connection', (socket) => connections.push(socket));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('sends method, headers and a string body, and reads status, headers and text', async () => {
    const seen: { method?: string; type?: string; length?: string; body?: string } = {};
    handler = (req, res, body) => {
      Object.assign(seen, {
        method: req.method,
        type: req.headers['content-type'],
        length: req.headers['content-length'],
        body,
      });
      res.writeHead(201, 'Made', { 'content-type': 'application/json', next: `${base}/page/2` });
      res.end('{"æ":"ø"}');
    };
    const answer = await createNodeFetch()(`${base}/x?y=1`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: 'a=å',
    });
    expect(seen).toEqual({
      method: 'POST',
      type: 'application/x-www-form-urlencoded',
      length: '4',
      body: 'a=å',
    });
    expect([answer.status, answer.ok, answer.statusText]).toEqual([201, true, 'Made']);
    expect(answer.headers.get('Next')).toBe(`${base}/page/2`);
    expect(answer.headers.get('retry-after')).toBeNull();
    expect(await answer.text()).toBe('{"æ":"ø"}');
  });

  it('follows no redirect and keeps the connection for the next call', async () => {
    handler = (_req, res) => {
      res.writeHead(302, { location: 'http://127.0.0.1:9/elsewhere' });
      res.end();
    };
    const fetchFn = createNodeFetch();
    const before = connections.length;
    for (let i = 0; i < 3; i++) {
      const answer = await fetchFn(`${base}/moved`, { redirect: 'manual' });
      expect([answer.status, answer.ok, answer.headers.get('location')]).toEqual([
        302,
        false,
        'http://127.0.0.1:9/elsewhere',
      ]);
      await answer.text();
    }
    expect(connections.length - before).toBe(1);
  });

  it('turns a deadline before the answer into a timeout error', async () => {
    handler = () => undefined; // never answers
    const error = await send(`${base}/slow`, {
      operation: 'test.slow',
      timeoutMs: 50,
      fetch: createNodeFetch(),
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AltinnApiError);
    expect(error).toMatchObject({ kind: 'timeout', message: expect.stringContaining('no answer within 50 ms') });
  });

  it('turns a deadline while the body is read into a timeout error', async () => {
    handler = (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('part of it'); // and never the rest
    };
    const call = await send(`${base}/half`, {
      operation: 'test.half',
      timeoutMs: 100,
      fetch: createNodeFetch(),
    });
    const error = await readText(call, 'test.half', 100).catch((e: unknown) => e);
    expect(error).toMatchObject({ kind: 'timeout', message: expect.stringContaining('body not complete') });
  });

  it('reports a refused connection as a network error and gives the body as a Node stream', async () => {
    const refused = await send('http://127.0.0.1:9/', {
      operation: 'test.refused',
      timeoutMs: 1000,
      fetch: createNodeFetch(),
    }).catch((e: unknown) => e);
    expect(refused).toMatchObject({ kind: 'network' });

    handler = (_req, res) => res.end(Buffer.alloc(100_000, 7));
    const answer = await createNodeFetch()(`${base}/file`, {});
    expect(answer.body).toBeInstanceOf(Readable);
    let bytes = 0;
    for await (const chunk of answer.body as Readable) bytes += (chunk as Buffer).length;
    expect(bytes).toBe(100_000);
  });
});
