import type { AltinnCloudEvent } from '@broker-events/contracts';
import type { DeliveryResult, PipelineMessageInfo, Sink } from '@broker-events/messaging';
import type { ArchiveWriter } from './archive.writer';
import { toArchiveRow } from './store/archive-store';

/**
 * Archives every event of every type, as one row keyed by (source, id) at its original topic coordinates.
 * Concurrent deliveries become batched inserts in the writer; each call settles with its own row's outcome.
 */
export class ArchiveSink implements Sink {
  constructor(private readonly writer: ArchiveWriter) {}

  async deliver(event: AltinnCloudEvent, info: PipelineMessageInfo): Promise<DeliveryResult> {
    const result = await this.writer.write(
      toArchiveRow(
        event,
        info.canonicalType,
        { topic: info.originalTopic, partition: info.originalPartition, offset: info.originalOffset },
        info.receivedAt,
      ),
    );
    return { detail: result };
  }
}
