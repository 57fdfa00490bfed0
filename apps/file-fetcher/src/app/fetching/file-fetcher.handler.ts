import { type AltinnCloudEvent, TOPICS } from '@broker-events/contracts';
import { PermanentDeliveryError } from '@broker-events/messaging';
import { Controller } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import { FileFetcher } from './file-fetcher';

/**
 * `published` copies addressed to us as Recipient (the pipeline's filter); the event is only a notification:
 * what to do is decided from Broker's overview, fetched with our own token.
 */
@Controller()
export class FileFetcherHandler {
  constructor(private readonly fetcher: FileFetcher) {}

  @EventPattern(TOPICS.events)
  async handle(@Payload() event: AltinnCloudEvent): Promise<void> {
    const id = event.resourceinstance;
    if (id === undefined)
      throw new PermanentDeliveryError('the event has no resourceinstance (file transfer id)');
    await this.fetcher.fetch(id, 'event', event.resource);
  }
}
