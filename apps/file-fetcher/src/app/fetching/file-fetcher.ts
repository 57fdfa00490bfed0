import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { RESOURCE_URN_PREFIX, UUID_PATTERN } from '@broker-events/contracts';
import {
  AltinnApiError,
  type BrokerClient,
  type Download,
  type FileTransferOverview,
  brokerPartyOrganisation,
} from '@broker-events/altinn-client';
import { PermanentDeliveryError, TransientDeliveryError } from '@broker-events/messaging';
import type { AppLogger } from '@broker-events/observability';
import type { FileFetcherMetrics, FetchResult } from '../file-fetcher.metrics';
import type { FetchOutcome, OutcomeStore } from '../outcomes/outcome-store';
import type { FileStorage } from '../storage/file-storage';

export interface FileFetcherOptions {
  organisationNumber: string;
  verifyChecksum: boolean;
  maxFileBytes?: number;
  /** How often a broken-off download continues with a Range request before the attempt fails. */
  maxResumes: number;
}

class ChecksumMismatch extends Error {}

/**
 * The Broker resource-policy action a recipient needs for overview, download and confirm. Broker answers 401
 * without it; only the resource owner can grant it (Altinn Resource Registry / access management).
 */
export const RECIPIENT_RIGHT = 'read';
class TooLarge extends Error {}

/** Broker gives MD5 as hex; accept base64 too, compare case-insensitively. */
function sameMd5(expected: string, actual: Buffer): boolean {
  const e = expected.trim();
  return e.toLowerCase() === actual.toString('hex') || e === actual.toString('base64');
}

/**
 * The recipient side of one file transfer: overview → download (streamed to storage, MD5 checked) → confirm →
 * outcome recorded. Idempotent on the file transfer id: a transfer already confirmed (by us, recorded, or at
 * Broker) is skipped without a download. Errors come out as the pipeline's Transient/PermanentDeliveryError,
 * so retries and dead-lettering follow the shared policy.
 */
export class FileFetcher {
  private readonly inFlight = new Map<string, Promise<FetchResult>>();

  constructor(
    private readonly broker: BrokerClient,
    private readonly storage: FileStorage,
    private readonly outcomes: OutcomeStore,
    private readonly metrics: FileFetcherMetrics,
    private readonly logger: AppLogger,
    private readonly options: FileFetcherOptions,
  ) {}

  /**
   * Fetches one transfer; concurrent calls for the same id share one run. `resource` (the event's, or the one
   * reconciliation listed) names the resource in a "no access" failure, which comes before any overview.
   */
  fetch(fileTransferId: string, trigger: 'event' | 'reconcile', resource?: string): Promise<FetchResult> {
    if (!UUID_PATTERN.test(fileTransferId)) {
      return Promise.reject(
        new PermanentDeliveryError(`not a file transfer id: ${JSON.stringify(fileTransferId.slice(0, 80))}`),
      );
    }
    const id = fileTransferId.toLowerCase();
    const running = this.inFlight.get(id);
    if (running) return running;
    const run = this.run(id, trigger, resource).finally(() => this.inFlight.delete(id));
    this.inFlight.set(id, run);
    return run;
  }

  /**
   * One line for the delivery report about what `fetch` did with this transfer (from the recorded outcome):
   * file name, size and checksum check, never the storage location.
   */
  async describe(fileTransferId: string, result: FetchResult): Promise<string> {
    if (result === 'not_recipient') return 'nothing to fetch: we are not a recipient of this transfer';
    const o = await this.outcomes.get(fileTransferId.toLowerCase()).catch(() => undefined);
    if (result === 'unavailable')
      return `nothing to fetch: ${o?.lastError ?? 'the transfer is no longer available'}`;
    if (result === 'already_confirmed') return 'already fetched and confirmed';
    const name = o?.fileName ? `${o.fileName} ` : 'the file ';
    const size = o?.bytes === undefined ? '' : `${formatBytes(o.bytes)}, `;
    const check = o?.checksumVerified ? 'MD5 ok' : 'no checksum to verify';
    return `fetched ${name}(${size}${check}) and confirmed the download`;
  }

  private async run(id: string, trigger: 'event' | 'reconcile', resource?: string): Promise<FetchResult> {
    const log = { fileTransferId: id, trigger };
    const previous = await this.outcomes.get(id);
    if (previous?.status === 'confirmed') {
      this.metrics.files.inc({ result: 'already_confirmed', trigger });
      this.logger.debug(log, 'already confirmed: skipped');
      return 'already_confirmed';
    }
    let overview: FileTransferOverview;
    try {
      overview = await this.broker.getOverview(id);
    } catch (error) {
      throw await this.failure(id, trigger, previous, error, 'overview', resource);
    }
    const base = {
      fileTransferId: id,
      resourceId: overview.resourceId,
      fileName: overview.fileName,
      brokerStatus: overview.fileTransferStatus,
      trigger,
    };
    const mine = overview.recipients.find(
      (r) => brokerPartyOrganisation(r.recipient) === this.options.organisationNumber,
    );
    if (!mine) {
      this.metrics.files.inc({ result: 'not_recipient', trigger });
      await this.outcomes.record({
        ...base,
        status: 'unavailable',
        lastError: 'we are not a recipient of this transfer',
      });
      this.logger.warn(log, 'not a recipient of this transfer: nothing to fetch');
      return 'not_recipient';
    }
    if (mine.currentRecipientFileTransferStatusCode === 'DownloadConfirmed') {
      // Confirmed earlier (a crash after the confirm, or another replica): record it and stop.
      await this.outcomes.record({
        ...base,
        ...kept(previous),
        status: 'confirmed',
        confirmedAt: previous?.confirmedAt ?? new Date().toISOString(),
      });
      this.metrics.files.inc({ result: 'already_confirmed', trigger });
      return 'already_confirmed';
    }
    const status = overview.fileTransferStatus;
    if (status !== 'Published') {
      if (status === 'Initialized' || status === 'UploadStarted' || status === 'UploadProcessing') {
        throw await this.failure(
          id,
          trigger,
          previous,
          new Error(`the transfer is ${status}, not Published yet`),
          'overview',
        );
      }
      await this.outcomes.record({ ...base, status: 'unavailable', lastError: `the transfer is ${status}` });
      this.metrics.files.inc({ result: 'unavailable', trigger });
      this.logger.warn({ ...log, status }, 'the transfer can no longer be downloaded');
      return 'unavailable';
    }
    if (
      this.options.maxFileBytes !== undefined &&
      (overview.fileTransferSize ?? 0) > this.options.maxFileBytes
    ) {
      await this.outcomes.record({
        ...base,
        status: 'failed',
        lastError: `larger than FETCH_MAX_FILE_BYTES (${overview.fileTransferSize} bytes)`,
      });
      this.metrics.files.inc({ result: 'failed', trigger });
      throw new PermanentDeliveryError(`file transfer ${id} is larger than FETCH_MAX_FILE_BYTES`);
    }

    // Downloaded before but not confirmed (a crash in between): confirm what we have.
    let stored: Pick<FetchOutcome, 'location' | 'bytes' | 'md5' | 'sha256' | 'checksumVerified'>;
    if (
      previous?.status === 'downloaded' &&
      previous.location !== undefined &&
      (await this.storage.exists(previous.location).catch(() => false))
    ) {
      stored = kept(previous);
    } else {
      try {
        stored = await this.download(id, overview);
      } catch (error) {
        throw await this.failure(id, trigger, previous, error, 'download', overview.resourceId ?? resource);
      }
      await this.outcomes.record({ ...base, ...stored, status: 'downloaded' });
    }
    try {
      await this.broker.confirmDownload(id);
    } catch (error) {
      throw await this.failure(
        id,
        trigger,
        {
          ...(previous ?? { trigger, attempts: 0, updatedAt: '' }),
          ...base,
          ...stored,
          status: 'downloaded',
        },
        error,
        'confirm',
        overview.resourceId ?? resource,
      );
    }
    await this.outcomes.record({
      ...base,
      ...stored,
      status: 'confirmed',
      confirmedAt: new Date().toISOString(),
    });
    this.metrics.files.inc({ result: 'confirmed', trigger });
    this.logger.info(
      { ...log, bytes: stored.bytes, checksumVerified: stored.checksumVerified },
      'file stored and download confirmed',
    );
    return 'confirmed';
  }

  private async download(
    id: string,
    overview: FileTransferOverview,
  ): Promise<Pick<FetchOutcome, 'location' | 'bytes' | 'md5' | 'sha256' | 'checksumVerified'>> {
    const end = this.metrics.downloadDuration.startTimer();
    const first = await this.broker.download(id);
    const md5 = createHash('md5');
    const sha256 = createHash('sha256');
    let bytes = 0;
    const max = this.options.maxFileBytes;
    const writer = this.storage.begin(id, first.fileName ?? overview.fileName ?? 'file.bin');
    try {
      const out = writer.stream;
      let writeError: unknown;
      out.on('error', (e) => (writeError ??= e));
      let download: Download = first;
      for (let resumes = 0; ; resumes++) {
        try {
          for await (const chunk of download.body) {
            const buf = chunk as Buffer;
            bytes += buf.length;
            if (max !== undefined && bytes > max) throw new TooLarge(`more than ${max} bytes`);
            md5.update(buf);
            sha256.update(buf);
            if (writeError !== undefined) throw writeError;
            if (!out.write(buf)) await once(out, 'drain');
          }
          break;
        } catch (error) {
          // A download that broke off after some bytes continues from there with a Range request.
          const resumable =
            error instanceof AltinnApiError &&
            error.retryable &&
            bytes > 0 &&
            resumes < this.options.maxResumes;
          if (!resumable) throw error;
          this.logger.info(
            { fileTransferId: id, bytes, err: error.message },
            'download broke off; resuming with a Range request',
          );
          download = await this.broker.download(id, { range: { start: bytes } });
          if (download.status !== 206 || !download.contentRange?.startsWith(`bytes ${bytes}-`)) {
            download.body.destroy();
            throw new AltinnApiError(
              'invalid-response',
              'broker.download',
              `resume from byte ${bytes} answered ${download.status} ${download.contentRange ?? ''}`,
            );
          }
        }
      }
      await new Promise<void>((resolve, reject) => {
        if (writeError !== undefined) return reject(writeError);
        out.once('error', reject);
        out.end(() => resolve());
      });
      const digest = md5.digest();
      const expected = overview.checksum;
      if (expected !== undefined && this.options.verifyChecksum && !sameMd5(expected, digest)) {
        this.metrics.checksumMismatches.inc();
        throw new ChecksumMismatch(
          `MD5 ${digest.toString('hex')} does not match the overview's checksum ${expected}`,
        );
      }
      if (
        overview.fileTransferSize !== undefined &&
        overview.fileTransferSize > 0 &&
        bytes !== overview.fileTransferSize
      ) {
        throw new ChecksumMismatch(`got ${bytes} bytes, the overview says ${overview.fileTransferSize}`);
      }
      const location = await writer.commit();
      this.metrics.bytes.inc(bytes);
      return {
        location,
        bytes,
        md5: digest.toString('hex'),
        sha256: sha256.digest('hex'),
        checksumVerified: expected !== undefined && this.options.verifyChecksum,
      };
    } catch (error) {
      await writer.abort();
      throw error;
    } finally {
      end();
    }
  }

  /** Records the failure and turns it into the pipeline's classification. */
  private async failure(
    id: string,
    trigger: 'event' | 'reconcile',
    previous: FetchOutcome | undefined,
    error: unknown,
    step: string,
    resource?: string,
  ): Promise<Error> {
    let message = `${step}: ${error instanceof Error ? error.message : String(error)}`;
    const noAccess = error instanceof AltinnApiError && error.kind === 'no-access';
    const resourceUrn = resource
      ? resource.startsWith(RESOURCE_URN_PREFIX)
        ? resource
        : `${RESOURCE_URN_PREFIX}${resource}`
      : 'unknown';
    if (noAccess) {
      message = `no access to ${resourceUrn}: grant organisation ${this.options.organisationNumber} the right "${RECIPIENT_RIGHT}" on it (Broker answered 401 to freshly fetched tokens; ${step})`;
    }
    await this.outcomes
      .record({
        ...kept(previous),
        fileTransferId: id,
        resourceId: previous?.resourceId,
        fileName: previous?.fileName,
        trigger,
        status: previous?.status === 'downloaded' ? 'downloaded' : 'failed',
        lastError: message.slice(0, 500),
      })
      .catch((e: unknown) =>
        this.logger.warn({ fileTransferId: id, err: String(e) }, 'could not record the failure'),
      );
    this.metrics.files.inc({ result: 'failed', trigger });
    if (noAccess) {
      // Permanent until someone grants the right: dead-letter now, do not retry (each retry would fetch tokens).
      this.metrics.noAccess.inc({ resource: resourceUrn, right: RECIPIENT_RIGHT });
      this.logger.error(
        {
          fileTransferId: id,
          trigger,
          step,
          resource: resourceUrn,
          right: RECIPIENT_RIGHT,
          organisationNumber: this.options.organisationNumber,
        },
        `no access: Broker refuses organisation ${this.options.organisationNumber} on ${resourceUrn}; the resource owner must grant it the right "${RECIPIENT_RIGHT}" (Resource Rights Registry). Dead-lettered; re-drive it once the right is granted`,
      );
      return new PermanentDeliveryError(message);
    }
    this.logger.warn({ fileTransferId: id, trigger, step, err: message }, 'fetch failed');
    if (error instanceof TooLarge) return new PermanentDeliveryError(message);
    if (error instanceof ChecksumMismatch) return new TransientDeliveryError(message);
    if (error instanceof AltinnApiError) {
      // 401 may be a token that a refresh fixes; 400/403/404/406 will not change by trying again.
      const permanent = [
        'bad-request',
        'forbidden',
        'not-found',
        'not-acceptable',
        'invalid-response',
      ].includes(error.kind);
      return permanent
        ? new PermanentDeliveryError(message)
        : new TransientDeliveryError(message, error.details.retryAfterMs);
    }
    return new TransientDeliveryError(message);
  }
}

function kept(
  o: FetchOutcome | undefined,
): Pick<FetchOutcome, 'location' | 'bytes' | 'md5' | 'sha256' | 'checksumVerified'> {
  if (!o) return {};
  return {
    location: o.location,
    bytes: o.bytes,
    md5: o.md5,
    sha256: o.sha256,
    checksumVerified: o.checksumVerified,
  };
}

/** 2048 → "2.0 kB", 2_100_000 → "2.1 MB" (decimal units, as file sizes are shown to people). */
export function formatBytes(bytes: number): string {
  if (bytes < 1000) return `${bytes} B`;
  const units = ['kB', 'MB', 'GB', 'TB'];
  let value = bytes / 1000;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return `${value.toFixed(1)} ${units[unit]}`;
}
