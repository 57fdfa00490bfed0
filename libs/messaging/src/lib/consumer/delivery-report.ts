import { type DeliveryReport, type KafkaRecord, TOPICS } from '@broker-events/contracts';

/**
 * The record of one delivery report on TOPICS.deliveries: the JSON `DeliveryReport` as value (UTF-8), keyed by
 * the event's file transfer id (else its id) so one transfer's reports stay in order on one partition. A
 * consumer built without the pipeline publishes the same record (docs/consumers.md).
 */
export function deliveryReportRecord(report: DeliveryReport): KafkaRecord {
  return {
    topic: TOPICS.deliveries,
    key: report.fileTransferId ?? report.eventId,
    value: Buffer.from(JSON.stringify(report)),
    headers: {},
  };
}
