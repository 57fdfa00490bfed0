import { type AltinnCloudEvent, TOPICS } from '@broker-events/contracts';
import { PipelineContext } from '@broker-events/messaging';
import { Controller } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { EmailSink } from './email.sink';

/** The pipeline has filtered (any routing rule), validated and de-duplicated the event; send it. */
@Controller()
export class EmailHandler {
  constructor(private readonly sink: EmailSink) {}

  @EventPattern(TOPICS.events)
  async handle(@Payload() event: AltinnCloudEvent, @Ctx() ctx: PipelineContext): Promise<void> {
    await this.sink.deliver(event, ctx.info);
  }
}
