import { Readable, Transform } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { AuthorizedHttp, type AuthorizedHttpOptions } from './authorized-http';
import { AltinnApiError } from './errors';
import { joinUrl, readText } from './http';

export const FILE_TRANSFER_STATUSES = [
  'Initialized',
  'UploadStarted',
  'UploadProcessing',
  'Published',
  'Cancelled',
  'AllConfirmedDownloaded',
  'Purged',
  'Failed',
] as const;
export type FileTransferStatus = (typeof FILE_TRANSFER_STATUSES)[number];

export const RECIPIENT_STATUSES = ['Initialized', 'DownloadStarted', 'DownloadConfirmed'] as const;
export type RecipientFileTransferStatus = (typeof RECIPIENT_STATUSES)[number];

export interface RecipientStatus {
  /** `0192:<orgnr>` or `urn:altinn:organization:identifier-no:<orgnr>`, as Broker writes it. */
  recipient: string;
  currentRecipientFileTransferStatusCode?: RecipientFileTransferStatus;
  currentRecipientFileTransferStatusText?: string;
  currentRecipientFileTransferStatusChanged?: string;
}

/** Broker's FileTransferOverviewExt, the fields we use typed, the rest left out. */
export interface FileTransferOverview {
  fileTransferId: string;
  resourceId?: string;
  fileName?: string;
  sendersFileTransferReference?: string;
  /** MD5 of the file, hex, when the sender gave one. */
  checksum?: string;
  useVirusScan?: boolean;
  fileTransferSize?: number;
  fileTransferStatus: FileTransferStatus;
  fileTransferStatusText?: string;
  fileTransferStatusChanged?: string;
  created?: string;
  expirationTime?: string;
  sender?: string;
  recipients: RecipientStatus[];
  propertyList?: Record<string, string>;
  published?: string;
}

export interface FileTransferQuery {
  resourceId: string;
  status?: FileTransferStatus;
  recipientStatus?: RecipientFileTransferStatus;
  from?: Date;
  to?: Date;
  orderAscending?: boolean;
  role?: 'Sender' | 'Recipient';
}

export interface Download {
  /** 200, or 206 for a range. */
  status: number;
  body: Readable;
  /** Bytes in this answer, when Broker said. */
  contentLength?: number;
  /** `bytes a-b/total` on a 206. */
  contentRange?: string;
  /** From Content-Disposition. */
  fileName?: string;
}

export interface DownloadOptions {
  /** Only bytes from `start` (inclusive) to `end` (inclusive; open when left out). */
  range?: { start: number; end?: number };
  /** Abort the download when no bytes arrive for this long. Default: the client's timeout. */
  idleTimeoutMs?: number;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

/** Checks a FileTransferOverviewExt; throws `invalid-response` when the required fields are missing. */
export function parseOverview(value: unknown, operation: string): FileTransferOverview {
  if (!isRecord(value))
    throw new AltinnApiError('invalid-response', operation, 'the overview is not a JSON object');
  const id = value['fileTransferId'];
  const status = value['fileTransferStatus'];
  if (typeof id !== 'string')
    throw new AltinnApiError('invalid-response', operation, 'the overview has no fileTransferId');
  if (typeof status !== 'string' || !(FILE_TRANSFER_STATUSES as readonly string[]).includes(status)) {
    throw new AltinnApiError(
      'invalid-response',
      operation,
      `unknown fileTransferStatus ${JSON.stringify(status)}`,
    );
  }
  const recipients: RecipientStatus[] = [];
  const rawRecipients = value['recipients'];
  for (const r of Array.isArray(rawRecipients) ? rawRecipients : []) {
    if (!isRecord(r) || typeof r['recipient'] !== 'string') continue;
    const code = r['currentRecipientFileTransferStatusCode'];
    recipients.push({
      recipient: r['recipient'],
      currentRecipientFileTransferStatusCode:
        typeof code === 'string' && (RECIPIENT_STATUSES as readonly string[]).includes(code)
          ? (code as RecipientFileTransferStatus)
          : undefined,
      currentRecipientFileTransferStatusText: str(r['currentRecipientFileTransferStatusText']),
      currentRecipientFileTransferStatusChanged: str(r['currentRecipientFileTransferStatusChanged']),
    });
  }
  const propertyList: Record<string, string> = {};
  if (isRecord(value['propertyList'])) {
    for (const [k, v] of Object.entries(value['propertyList']))
      if (typeof v === 'string') propertyList[k] = v;
  }
  const size = value['fileTransferSize'];
  return {
    fileTransferId: id,
    resourceId: str(value['resourceId']),
    fileName: str(value['fileName']),
    sendersFileTransferReference: str(value['sendersFileTransferReference']),
    checksum: str(value['checksum']) || undefined,
    useVirusScan: typeof value['useVirusScan'] === 'boolean' ? value['useVirusScan'] : undefined,
    fileTransferSize: typeof size === 'number' && Number.isFinite(size) ? size : undefined,
    fileTransferStatus: status as FileTransferStatus,
    fileTransferStatusText: str(value['fileTransferStatusText']),
    fileTransferStatusChanged: str(value['fileTransferStatusChanged']),
    created: str(value['created']),
    expirationTime: str(value['expirationTime']),
    sender: str(value['sender']),
    recipients,
    propertyList,
    published: str(value['published']),
  };
}

/** The organisation number in a Broker party string (`0192:<orgnr>`, the URN form, or bare digits). */
export function brokerPartyOrganisation(party: string): string | undefined {
  const m = /^(?:0192:|urn:altinn:organization:identifier-no:)?([0-9]{9})$/.exec(party.trim());
  return m ? m[1] : undefined;
}

/** `attachment; filename="x"` or `filename*=UTF-8''x` → the file name. */
export function contentDispositionFileName(value: string | null): string | undefined {
  if (!value) return undefined;
  const star = /filename\*\s*=\s*(?:UTF-8|utf-8)''([^;]+)/.exec(value);
  if (star) {
    try {
      return decodeURIComponent(star[1].trim());
    } catch {
      // fall through to the plain form
    }
  }
  const plain = /filename\s*=\s*(?:"([^"]*)"|([^;]+))/.exec(value);
  return plain ? (plain[1] ?? plain[2]).trim() : undefined;
}

/**
 * Altinn Broker's file transfer API, recipient side. JSON endpoints are called with
 * `Accept: application/json` (Broker answers 406 to an Accept without it).
 */
export class BrokerClient {
  private readonly http: AuthorizedHttp;

  /** `brokerApi` is `{platform}/broker/api/v1`. */
  constructor(
    private readonly brokerApi: string,
    options: AuthorizedHttpOptions,
  ) {
    this.http = new AuthorizedHttp({ ...options, noAccessOn401: true });
  }

  private transferUrl(id: string, suffix = ''): string {
    return joinUrl(this.brokerApi, `filetransfer/${encodeURIComponent(id)}${suffix}`);
  }

  async getOverview(fileTransferId: string): Promise<FileTransferOverview> {
    const operation = 'broker.getOverview';
    return parseOverview(
      await this.http.json(this.transferUrl(fileTransferId), { operation, accept: 'application/json' }),
      operation,
    );
  }

  /** The ids of matching transfers; Broker returns only the 100 newest (oldest with orderAscending). */
  async listFileTransfers(query: FileTransferQuery): Promise<string[]> {
    const operation = 'broker.listFileTransfers';
    const params = new URLSearchParams({ resourceId: query.resourceId });
    if (query.status) params.set('status', query.status);
    if (query.recipientStatus) params.set('recipientStatus', query.recipientStatus);
    if (query.from) params.set('from', query.from.toISOString());
    if (query.to) params.set('to', query.to.toISOString());
    if (query.orderAscending !== undefined) params.set('orderAscending', String(query.orderAscending));
    if (query.role) params.set('role', query.role);
    const body = await this.http.json(`${joinUrl(this.brokerApi, 'filetransfer')}?${params.toString()}`, {
      operation,
      accept: 'application/json',
    });
    if (!Array.isArray(body) || !body.every((v) => typeof v === 'string')) {
      throw new AltinnApiError(
        'invalid-response',
        operation,
        'the answer is not an array of file transfer ids',
      );
    }
    return body as string[];
  }

  /**
   * Streams the file. The deadline covers the answer's headers; after that the stream errors with a `timeout`
   * AltinnApiError when no bytes arrive for `idleTimeoutMs`.
   */
  async download(fileTransferId: string, options: DownloadOptions = {}): Promise<Download> {
    const operation = 'broker.download';
    const headers: Record<string, string> = {};
    if (options.range) {
      const { start, end } = options.range;
      headers['range'] = `bytes=${start}-${end === undefined ? '' : end}`;
    }
    const call = await this.http.call(this.transferUrl(fileTransferId, '/download'), {
      operation,
      accept: 'application/octet-stream, application/json',
      headers,
      headersOnly: true,
    });
    const { response } = call;
    if (!response.body) {
      throw new AltinnApiError('invalid-response', operation, 'the answer has no body');
    }
    const idleMs = options.idleTimeoutMs ?? this.http.timeoutMs;
    const source =
      response.body instanceof Readable
        ? response.body
        : Readable.fromWeb(response.body as unknown as WebReadableStream<Uint8Array>);
    let timer: NodeJS.Timeout | undefined;
    const watchdog = new Transform({
      transform(chunk: Buffer, _enc, cb) {
        arm();
        cb(null, chunk);
      },
      flush(cb) {
        if (timer) clearTimeout(timer);
        cb();
      },
      destroy(error, cb) {
        if (timer) clearTimeout(timer);
        cb(error);
      },
    });
    const arm = (): void => {
      if (timer) clearTimeout(timer);
      timer = setTimeout(() => {
        call.abort();
        watchdog.destroy(new AltinnApiError('timeout', operation, `no bytes for ${idleMs} ms`));
      }, idleMs);
    };
    arm();
    source.on('error', (error) => {
      watchdog.destroy(
        error instanceof AltinnApiError
          ? error
          : new AltinnApiError('network', operation, `the download broke off: ${error.message}`, {
              cause: error,
            }),
      );
    });
    source.pipe(watchdog);
    const length = response.headers.get('content-length');
    return {
      status: response.status,
      body: watchdog,
      contentLength: length !== null && /^\d+$/.test(length) ? Number(length) : undefined,
      contentRange: response.headers.get('content-range') ?? undefined,
      fileName: contentDispositionFileName(response.headers.get('content-disposition')),
    };
  }

  /**
   * Confirms our download. Broker answers 204, also to a repeated confirm while the transfer is still
   * `Published`; confirming before a download is a 400. Once every recipient has confirmed
   * (`AllConfirmedDownloaded`) Broker answers 400 to any further confirm, so a retry or a second replica would see
   * a failure for work that is done: on a 400 the overview is read, and `AllConfirmedDownloaded` (which
   * includes our confirm) counts as success.
   */
  async confirmDownload(fileTransferId: string): Promise<void> {
    const operation = 'broker.confirmDownload';
    try {
      const call = await this.http.call(this.transferUrl(fileTransferId, '/confirmdownload'), {
        operation,
        method: 'POST',
        accept: 'application/json',
      });
      await readText(call, operation, this.http.timeoutMs);
    } catch (error) {
      if (!(error instanceof AltinnApiError) || error.kind !== 'bad-request') throw error;
      const overview = await this.getOverview(fileTransferId).catch(() => undefined);
      if (overview?.fileTransferStatus !== 'AllConfirmedDownloaded') throw error;
    }
  }
}
