import type { AltinnCloudEvent } from '@broker-events/contracts';
import { type PipelineMessageInfo, type Sink, TransientDeliveryError } from '@broker-events/messaging';
import type { ChannelPacer } from './slack/channel-pacer';
import { type SlackLanguage, slackMessage } from './slack/slack-blocks';
import type { SlackClient } from './slack/slack.client';

/** Posts one Block Kit message per event, paced per channel; a 429 also holds back the channel's next message. */
export class SlackSink implements Sink {
  constructor(
    private readonly client: SlackClient,
    private readonly pacer: ChannelPacer,
    private readonly language: SlackLanguage,
  ) {}

  async deliver(event: AltinnCloudEvent, info: PipelineMessageInfo): Promise<void> {
    const message = slackMessage(event, info.canonicalType, this.language);
    const channel = this.client.channelKey;
    await this.pacer.run(channel, async () => {
      try {
        await this.client.post(message);
      } catch (error) {
        if (error instanceof TransientDeliveryError && error.retryAfterMs !== undefined)
          this.pacer.backOff(channel, error.retryAfterMs);
        throw error;
      }
    });
  }
}
