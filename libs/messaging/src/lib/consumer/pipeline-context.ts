import { BaseRpcContext } from '@nestjs/microservices';

/** What a handler may want to know about the record it is delivering. */
export interface PipelineMessageInfo {
  /** The consumer name (the group id is `<consumer>-server`). */
  consumer: string;
  /** Topic, partition and offset the record was read from now (a retry topic on a retry). */
  topic: string;
  partition: number;
  offset: string;
  /** Where the event was first read from (equal to the above unless this is a retry). */
  originalTopic: string;
  originalPartition: number;
  originalOffset: string;
  key: string | null;
  /** Record headers as UTF-8 strings. */
  headers: Readonly<Record<string, string>>;
  /** The record's Kafka timestamp (ms since epoch, as a string). */
  timestamp: string;
  /** When this process read the record. */
  receivedAt: Date;
  /** 1-based number of this handler call for this event, across in-place retries and retry-topic rounds. */
  attempt: number;
  /** The canonical event type (lowercase for Broker types). */
  canonicalType: string;
}

/**
 * The `@Ctx()` of a pipeline handler. `heartbeat()` is there for handlers that run long between awaits;
 * the pipeline already heartbeats on a timer while a handler runs.
 */
export class PipelineContext extends BaseRpcContext<[PipelineMessageInfo, () => Promise<void>]> {
  constructor(info: PipelineMessageInfo, heartbeat: () => Promise<void>) {
    super([info, heartbeat]);
  }

  get info(): PipelineMessageInfo {
    return this.args[0];
  }

  heartbeat(): Promise<void> {
    return this.args[1]();
  }
}
