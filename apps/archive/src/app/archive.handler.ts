import { type AltinnCloudEvent, TOPICS } from '@broker-events/contracts';
import { PipelineContext } from '@broker-events/messaging';
import { Controller } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { ArchiveWriter } from './archive.writer';
import { toArchiveRow } from './store/archive-store';

/** Archives every event of every type; the pipeline has already validated it. */
@Controller()
export class ArchiveHandler {
  constructor(private readonly writer: ArchiveWriter) {}

  @EventPattern(TOPICS.events)
  async handle(@Payload() event: AltinnCloudEvent, @Ctx() ctx: PipelineContext): Promise<void> {
    const { info } = ctx;
    await this.writer.write(
      toArchiveRow(
        event,
        info.canonicalType,
        { topic: info.originalTopic, partition: info.originalPartition, offset: info.originalOffset },
        info.receivedAt,
      ),
    );
  }
}
