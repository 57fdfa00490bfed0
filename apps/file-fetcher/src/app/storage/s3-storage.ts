import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, mkdirSync, rmSync, statSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { join, resolve } from 'node:path';
import { type FileStorage, type StoredFileWriter, UUID, safeFileName } from './file-storage';
import { signV4, EMPTY_SHA256, uriEncode } from './sigv4';

export interface S3StorageOptions {
  /** `https://s3.eu-north-1.amazonaws.com`, `http://minio:9000`, … (path-style addressing). */
  endpoint: string;
  bucket: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** Key prefix, e.g. `broker/` (keys are `<prefix><fileTransferId>/<fileName>`). */
  prefix: string;
  /** Local folder the download is spooled to before the upload (S3 needs the length and hash up front). */
  spoolDir: string;
  timeoutMs: number;
}

interface HttpAnswer {
  status: number;
  body: string;
}

async function digestFile(path: string): Promise<{ size: number; sha256: string; md5: string }> {
  const sha = createHash('sha256');
  const md5 = createHash('md5');
  for await (const chunk of createReadStream(path)) {
    sha.update(chunk as Buffer);
    md5.update(chunk as Buffer);
  }
  return { size: statSync(path).size, sha256: sha.digest('hex'), md5: md5.digest('base64') };
}

/**
 * An S3-compatible bucket, signed with SigV4 (node:crypto, no SDK). The download is spooled to a local file,
 * then PUT with its length, SHA-256 (x-amz-content-sha256) and Content-MD5, so the store itself refuses a body
 * that was damaged on the way. Locations are `s3://<bucket>/<key>`.
 */
export class S3Storage implements FileStorage {
  readonly kind = 's3' as const;
  private readonly spoolDir: string;

  constructor(private readonly options: S3StorageOptions) {
    this.spoolDir = resolve(options.spoolDir, '.s3-spool');
    mkdirSync(this.spoolDir, { recursive: true });
  }

  private objectUrl(key: string): string {
    return `${this.options.endpoint.replace(/\/+$/, '')}/${uriEncode(this.options.bucket)}/${uriEncode(key, true)}`;
  }

  begin(fileTransferId: string, fileName: string): StoredFileWriter {
    if (!UUID.test(fileTransferId))
      throw new RangeError(`not a file transfer id: ${JSON.stringify(fileTransferId)}`);
    const key = `${this.options.prefix}${fileTransferId.toLowerCase()}/${safeFileName(fileName)}`;
    const spool = join(this.spoolDir, `${fileTransferId.toLowerCase()}-${randomBytes(6).toString('hex')}`);
    const stream = createWriteStream(spool, { flags: 'wx' });
    return {
      stream,
      commit: async () => {
        try {
          const { size, sha256, md5 } = await digestFile(spool);
          const answer = await this.send(
            'PUT',
            key,
            sha256,
            {
              'content-length': String(size),
              'content-md5': md5,
              'content-type': 'application/octet-stream',
            },
            spool,
          );
          if (answer.status < 200 || answer.status > 299) {
            throw new Error(
              `S3 PUT ${this.options.bucket}/${key} answered ${answer.status}: ${s3ErrorCode(answer.body)}`,
            );
          }
          return `s3://${this.options.bucket}/${key}`;
        } finally {
          rmSync(spool, { force: true });
        }
      },
      abort: async () => {
        stream.destroy();
        rmSync(spool, { force: true });
      },
    };
  }

  async exists(location: string): Promise<boolean> {
    const prefix = `s3://${this.options.bucket}/`;
    if (!location.startsWith(prefix)) return false;
    const answer = await this.send('HEAD', location.slice(prefix.length), EMPTY_SHA256, {});
    if (answer.status === 200) return true;
    if (answer.status === 404) return false;
    throw new Error(`S3 HEAD ${location} answered ${answer.status}`);
  }

  private send(
    method: 'PUT' | 'HEAD',
    key: string,
    payloadHash: string,
    headers: Record<string, string>,
    bodyFile?: string,
  ): Promise<HttpAnswer> {
    const url = this.objectUrl(key);
    const signed = signV4(
      { method, url, headers, payloadHash, date: new Date() },
      {
        accessKeyId: this.options.accessKeyId,
        secretAccessKey: this.options.secretAccessKey,
        region: this.options.region,
      },
    );
    const target = new URL(url);
    const request = target.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise<HttpAnswer>((resolvePromise, reject) => {
      const req = request(
        target,
        { method, headers: signed.headers, timeout: this.options.timeoutMs },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () =>
            resolvePromise({
              status: res.statusCode ?? 0,
              body: Buffer.concat(chunks).toString('utf8').slice(0, 2000),
            }),
          );
          res.on('error', reject);
        },
      );
      req.on('timeout', () =>
        req.destroy(new Error(`S3 ${method} timed out after ${this.options.timeoutMs} ms`)),
      );
      req.on('error', reject);
      if (bodyFile) {
        const body = createReadStream(bodyFile);
        body.on('error', (e) => req.destroy(e));
        body.pipe(req);
      } else {
        req.end();
      }
    });
  }
}

function s3ErrorCode(body: string): string {
  const m = /<Code>([^<]{1,100})<\/Code>/.exec(body);
  return m ? m[1] : body.slice(0, 100) || '(no body)';
}
