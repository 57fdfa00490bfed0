package examples.brokerevents;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.cloudevents.CloudEvent;
import io.cloudevents.kafka.CloudEventDeserializer;
import io.cloudevents.kafka.KafkaMessageFactory;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.junit.jupiter.api.Test;

/**
 * What the CloudEvents Java SDK (cloudevents-kafka) does with a binary-mode record that has no data: the Kafka
 * binding maps "no data" to a record without a value. Our gateway writes a zero-length value; other producers
 * write null. Both must decode, with getData() == null. docs/subscribing.md quotes these results.
 */
class DatalessEventsTest {
  private static Headers headers(boolean withContentType) {
    RecordHeaders h = new RecordHeaders();
    h.add("ce_specversion", bytes("1.0"));
    h.add("ce_id", bytes("0b6f1c1e-2f43-4c55-8d61-0f4c7a1d9a0b"));
    h.add("ce_source", bytes("https://platform.tt02.altinn.no/broker/api/v1/filetransfer"));
    h.add("ce_type", bytes("no.altinn.broker.published"));
    h.add("ce_resourceinstance", bytes("da4ceacc-ad44-4e54-99b6-b58e3c13c785"));
    if (withContentType) h.add("content-type", bytes("application/json"));
    return h;
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static ConsumerRecord<String, byte[]> record(byte[] value, boolean withContentType) {
    return new ConsumerRecord<>(
        "t", 0, 0L, 0L, org.apache.kafka.common.record.TimestampType.CREATE_TIME, 0, 0,
        "k", value, headers(withContentType), java.util.Optional.empty());
  }

  @Test
  void messageReaderGivesNullDataForANullValue() {
    CloudEvent e = KafkaMessageFactory.createReader(record(null, false)).toEvent();
    assertEquals("0b6f1c1e-2f43-4c55-8d61-0f4c7a1d9a0b", e.getId());
    assertNull(e.getData());
  }

  @Test
  void messageReaderGivesNullDataForAZeroLengthValueEvenWithAContentType() {
    CloudEvent e = KafkaMessageFactory.createReader(record(new byte[0], true)).toEvent();
    assertEquals("da4ceacc-ad44-4e54-99b6-b58e3c13c785", e.getExtension("resourceinstance"));
    assertEquals("application/json", e.getDataContentType());
    assertNull(e.getData());
  }

  @Test
  void theSdkDeserializerDecodesBothToo() {
    try (CloudEventDeserializer d = new CloudEventDeserializer()) {
      d.configure(Map.of(), false);
      assertNull(d.deserialize("t", headers(false), (byte[]) null).getData());
      assertNull(d.deserialize("t", headers(true), new byte[0]).getData());
      CloudEvent withData = d.deserialize("t", headers(true), bytes("{\"Role\":\"Sender\"}"));
      assertNotNull(withData.getData());
      assertEquals("{\"Role\":\"Sender\"}", new String(withData.getData().toBytes(), StandardCharsets.UTF_8));
    }
  }
}
