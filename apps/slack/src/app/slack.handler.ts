import { type AltinnCloudEvent, TOPICS } from '@broker-events/contracts';
import { PipelineContext } from '@broker-events/messaging';
import { Controller } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { SlackSink } from './slack.sink';

/** The pipeline has filtered (SLACK_FILTER), validated and de-duplicated the event; post it. */
@Controller()
export class SlackHandler {
  constructor(private readonly sink: SlackSink) {}

  @EventPattern(TOPICS.events)
  async handle(@Payload() event: AltinnCloudEvent, @Ctx() ctx: PipelineContext): Promise<void> {
    await this.sink.deliver(event, ctx.info);
  }
}
