package examples.brokerevents;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.cloudevents.CloudEvent;
import io.cloudevents.kafka.KafkaMessageFactory;
import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * Another team's Java service on the events topic: its own consumer group, a filter on the headers (the value of
 * a skipped event is never read), each chosen record decoded as a CloudEvent in binary mode with the CloudEvents
 * SDK, and offsets committed only after the work for them is done.
 *
 * <p>It prints one JSON line per event it handles (what a real service would do its work on) and per event of a
 * type the gateway did not know, so the tests can see what it did.
 */
public final class BrokerEventsConsumer {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final Settings settings;
  private final HeaderFilter filter;
  private final KafkaConsumer<String, byte[]> consumer;
  private final Set<TopicPartition> assigned = new HashSet<>();

  public BrokerEventsConsumer(Settings settings) {
    this.settings = settings;
    this.filter = new HeaderFilter(settings.types(), settings.roles());
    Properties p = new Properties();
    p.putAll(settings.security());
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, settings.brokers());
    p.put(ConsumerConfig.GROUP_ID_CONFIG, settings.groupId());
    p.put(ConsumerConfig.CLIENT_ID_CONFIG, settings.groupId());
    // Commit ourselves, after the work: a crash before the commit means the records come again (at least once).
    p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, settings.fromBeginning() ? "earliest" : "latest");
    // Bytes, not the SDK's CloudEventDeserializer: we want to look at the headers before touching the value.
    p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
    p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    this.consumer = new KafkaConsumer<>(p);
  }

  /** Runs until {@link #stop()} (or, with EXIT_WHEN_CAUGHT_UP, until it has handled what the topic held). */
  public void run() {
    consumer.subscribe(
        List.of(settings.topic()),
        new ConsumerRebalanceListener() {
          @Override
          public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
            assigned.removeAll(partitions);
          }

          @Override
          public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
            assigned.addAll(partitions);
          }
        });
    Map<TopicPartition, Long> caughtUpAt = null;
    try {
      while (true) {
        ConsumerRecords<String, byte[]> records = consumer.poll(Duration.ofMillis(500));
        for (ConsumerRecord<String, byte[]> record : records) handle(record);
        if (!records.isEmpty()) consumer.commitSync(); // after the work for every record of this poll
        if (settings.exitWhenCaughtUp() && !assigned.isEmpty()) {
          if (caughtUpAt == null) caughtUpAt = new HashMap<>(consumer.endOffsets(assigned));
          if (caughtUp(caughtUpAt)) {
            consumer.commitSync();
            return;
          }
        }
      }
    } catch (WakeupException stopping) {
      // stop() was called: leave the group cleanly below; uncommitted records come again to the next member.
    } finally {
      consumer.close();
    }
  }

  /** Safe from another thread (a shutdown hook). */
  public void stop() {
    consumer.wakeup();
  }

  private boolean caughtUp(Map<TopicPartition, Long> end) {
    for (Map.Entry<TopicPartition, Long> e : end.entrySet()) {
      if (consumer.position(e.getKey()) < e.getValue()) return false;
    }
    return true;
  }

  private void handle(ConsumerRecord<String, byte[]> record) {
    switch (filter.decide(record.headers())) {
      case SKIP -> {
        // Not ours, decided on headers alone: the value is not read.
      }
      case UNKNOWN_TYPE -> print("unknown-type", record, null, null);
      case HANDLE -> {
        // Binary mode: attributes from the ce_* headers, data from the value. A record with no value (null or
        // zero bytes) is an event without data: the SDK gives getData() == null; never parse it as JSON.
        CloudEvent event;
        JsonNode data;
        try {
          event = KafkaMessageFactory.createReader(record).toEvent();
          data = event.getData() == null ? null : JSON.readTree(event.getData().toBytes());
        } catch (RuntimeException | java.io.IOException e) {
          // The gateway never writes such a record; if one is there, say so and go on rather than stop the
          // group on it forever. (A real service might park it on a topic or table of its own.)
          printProblem("invalid", record, e.getClass().getSimpleName() + ": " + e.getMessage());
          return;
        }
        print("handled", record, event, data);
      }
    }
  }

  private void printProblem(String outcome, ConsumerRecord<String, byte[]> record, String problem) {
    ObjectNode line = base(outcome, record);
    line.put("problem", problem);
    emit(line);
  }

  private void print(String outcome, ConsumerRecord<String, byte[]> record, CloudEvent event, JsonNode data) {
    ObjectNode line = base(outcome, record);
    if (event != null) {
      line.put("id", event.getId());
      line.put("source", event.getSource().toString());
      line.put("subject", event.getSubject());
      line.put("resourceinstance", String.valueOf(event.getExtension("resourceinstance")));
      line.put("role", HeaderFilter.header(record.headers(), HeaderFilter.ROLE));
      line.set("data", data == null ? JSON.nullNode() : data);
    }
    emit(line);
  }

  private static ObjectNode base(String outcome, ConsumerRecord<String, byte[]> record) {
    ObjectNode line = JSON.createObjectNode();
    line.put("outcome", outcome);
    line.put("partition", record.partition());
    line.put("offset", record.offset());
    line.put("key", record.key());
    line.put("type", HeaderFilter.header(record.headers(), HeaderFilter.TYPE));
    return line;
  }

  private static void emit(ObjectNode line) {
    System.out.println(line);
    System.out.flush();
  }

  public static void main(String[] args) {
    Settings settings;
    try {
      settings = Settings.from(System.getenv());
    } catch (Settings.InvalidSettings e) {
      System.err.println(e.getMessage());
      System.exit(2);
      return;
    }
    System.err.println("starting: " + settings);
    BrokerEventsConsumer app = new BrokerEventsConsumer(settings);
    Thread main = Thread.currentThread();
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  app.stop();
                  try {
                    main.join(30_000);
                  } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                  }
                }));
    app.run();
    System.err.println("stopped");
  }
}
