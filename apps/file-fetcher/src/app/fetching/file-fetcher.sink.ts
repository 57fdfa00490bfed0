import type { AltinnCloudEvent } from '@broker-events/contracts';
import { type DeliveryResult, PermanentDeliveryError, type Sink } from '@broker-events/messaging';
import type { FileFetcher } from './file-fetcher';

/**
 * `published` copies addressed to us as Recipient (the pipeline's filter); the event is only a notification:
 * what to do is decided from Broker's overview, fetched with our own token.
 */
export class FileFetcherSink implements Sink {
  constructor(private readonly fetcher: FileFetcher) {}

  async deliver(event: AltinnCloudEvent): Promise<DeliveryResult> {
    const id = event.resourceinstance;
    if (id === undefined)
      throw new PermanentDeliveryError('the event has no resourceinstance (file transfer id)');
    const result = await this.fetcher.fetch(id, 'event', event.resource);
    return { detail: await this.fetcher.describe(id, result) };
  }
}
