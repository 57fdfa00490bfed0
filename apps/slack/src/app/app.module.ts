import { type DynamicModule, Module } from '@nestjs/common';
import { type AppLogger, ObservabilityModule } from '@broker-events/observability';
import { type IdempotencyStore, createIdempotencyStore, pipelineProvider } from '@broker-events/messaging';
import { type LoadedSlackConfig, SLACK_CONFIG } from './config/slack.config';
import { ChannelPacer } from './slack/channel-pacer';
import { SlackClient } from './slack/slack.client';
import { SlackSink } from './slack.sink';
import { IDEMPOTENCY_STORE } from './slack.tokens';

@Module({})
export class AppModule {
  static forRoot(loaded: LoadedSlackConfig, logger: AppLogger): DynamicModule {
    const { config } = loaded;
    return {
      module: AppModule,
      imports: [ObservabilityModule.forRoot({ service: 'slack', logger })],
      providers: [
        { provide: SLACK_CONFIG, useValue: config },
        { provide: IDEMPOTENCY_STORE, useFactory: () => createIdempotencyStore(config) },
        {
          provide: SlackSink,
          useFactory: () =>
            new SlackSink(
              new SlackClient(loaded.destination, config.SLACK_TIMEOUT_MS),
              new ChannelPacer(config.SLACK_MIN_INTERVAL_MS),
              config.SLACK_LANGUAGE,
            ),
        },
        pipelineProvider({
          config,
          sink: SlackSink,
          inject: [IDEMPOTENCY_STORE],
          options: (store: IdempotencyStore) => ({
            filter: loaded.filter,
            idempotency: store,
            idempotencyRetentionMs: config.IDEMPOTENCY_RETENTION_DAYS * 86_400_000,
          }),
        }),
      ],
    };
  }
}
