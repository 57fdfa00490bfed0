import type { AltinnCloudEvent } from '@broker-events/contracts';
import {
  type DeliveryResult,
  type PipelineMessageInfo,
  type Sink,
  TransientDeliveryError,
} from '@broker-events/messaging';
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

  async deliver(event: AltinnCloudEvent, info: PipelineMessageInfo): Promise<DeliveryResult> {
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
    // The webhook's channel is fixed in Slack and unknown here; its URL is a secret, so it is never named.
    if (channel === 'webhook') return { detail: 'posted to Slack' };
    if (/^[CGD][A-Z0-9]{6,}$/.test(channel)) return { detail: `posted to channel ${channel}` };
    return { detail: `posted to #${channel.replace(/^#/, '')}` };
  }
}
