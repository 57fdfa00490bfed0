import type { AltinnCloudEvent } from '@broker-events/contracts';
import type { PipelineMessageInfo } from './pipeline-context';

/**
 * The one interface every sink implements (one folder per sink in its app). `deliver` resolves when the sink
 * accepted the event and throws TransientDeliveryError (optionally with the sink's Retry-After) or
 * PermanentDeliveryError otherwise; any other error counts as transient.
 */
export interface Sink {
  deliver(event: AltinnCloudEvent, info: PipelineMessageInfo): Promise<void>;
}
