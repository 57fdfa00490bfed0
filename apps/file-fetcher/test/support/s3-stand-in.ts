import { createHash } from 'node:crypto';
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { signV4 } from '../../src/app/storage/sigv4';

function xmlError(res: ServerResponse, status: number, code: string): void {
  res.writeHead(status, { 'content-type': 'application/xml' });
  res.end(`<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code></Error>`);
}

/**
 * A path-style S3 bucket on 127.0.0.1 that checks what S3 checks on PUT/HEAD Object: the SigV4 signature
 * (recomputed from the request as received), x-amz-content-sha256 against the body and Content-MD5.
 */
export class S3StandIn {
  readonly objects = new Map<string, Buffer>();
  private server?: Server;
  url = '';

  constructor(
    readonly bucket: string,
    private readonly accessKeyId: string,
    private readonly secretAccessKey: string,
    private readonly region = 'us-east-1',
  ) {}

  async start(): Promise<this> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((r) => this.server?.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async close(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((r) => this.server?.close(() => r()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks);
    const auth =
      /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/s3\/aws4_request,SignedHeaders=([^,]+),Signature=([0-9a-f]{64})$/.exec(
        req.headers.authorization ?? '',
      );
    const amzDate = String(req.headers['x-amz-date'] ?? '');
    const payloadHash = String(req.headers['x-amz-content-sha256'] ?? '');
    if (!auth || auth[1] !== this.accessKeyId || auth[3] !== this.region || !/^\d{8}T\d{6}Z$/.test(amzDate))
      return xmlError(res, 403, 'AccessDenied');
    const signedNames = auth[4].split(';');
    const headers: Record<string, string> = {};
    for (const name of signedNames) {
      if (name === 'host' || name === 'x-amz-date' || name === 'x-amz-content-sha256') continue;
      headers[name] = String(req.headers[name] ?? '');
    }
    const date = new Date(
      `${amzDate.slice(0, 4)}-${amzDate.slice(4, 6)}-${amzDate.slice(6, 8)}T${amzDate.slice(9, 11)}:${amzDate.slice(11, 13)}:${amzDate.slice(13, 15)}Z`,
    );
    const expected = signV4(
      { method: req.method ?? 'GET', url: `${this.url}${req.url ?? '/'}`, headers, payloadHash, date },
      { accessKeyId: this.accessKeyId, secretAccessKey: this.secretAccessKey, region: this.region },
    );
    if (
      expected.signature !== auth[5] ||
      !['content-length', 'host'].every((h) => req.method !== 'PUT' || signedNames.includes(h))
    ) {
      return xmlError(res, 403, 'SignatureDoesNotMatch');
    }
    const prefix = `/${this.bucket}/`;
    const path = decodeURIComponent((req.url ?? '').split('?')[0]);
    if (!path.startsWith(prefix)) return xmlError(res, 404, 'NoSuchBucket');
    const key = path.slice(prefix.length);
    if (req.method === 'PUT') {
      if (createHash('sha256').update(body).digest('hex') !== payloadHash)
        return xmlError(res, 400, 'XAmzContentSHA256Mismatch');
      const md5 = req.headers['content-md5'];
      if (md5 !== undefined && createHash('md5').update(body).digest('base64') !== md5)
        return xmlError(res, 400, 'BadDigest');
      this.objects.set(key, body);
      res.writeHead(200, { etag: `"${createHash('md5').update(body).digest('hex')}"` });
      res.end();
      return;
    }
    if (req.method === 'HEAD') {
      res.writeHead(this.objects.has(key) ? 200 : 404);
      res.end();
      return;
    }
    xmlError(res, 405, 'MethodNotAllowed');
  }
}
