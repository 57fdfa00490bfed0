package examples.brokerevents;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * Everything the example reads from its environment, checked once at startup: a bad setting stops it with a
 * message naming every bad variable. The names match the connection settings `npm run subscriber -- add` hands
 * a team (KAFKA_BROKERS, KAFKA_SECURITY_PROTOCOL, KAFKA_SASL_MECHANISM, KAFKA_USERNAME, KAFKA_PASSWORD, ...).
 */
public record Settings(
    String brokers,
    String topic,
    String groupId,
    Set<String> types,
    Set<String> roles,
    boolean fromBeginning,
    boolean exitWhenCaughtUp,
    Properties security) {

  /** The events topic (docs/asyncapi.yaml). Another topic only for tests or a future v2. */
  public static final String EVENTS_TOPIC = "altinn.broker.events.v1";

  private static final Pattern GROUP = Pattern.compile("^[A-Za-z0-9._-]{1,200}$");
  private static final Set<String> PROTOCOLS = Set.of("PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL");
  private static final Set<String> MECHANISMS = Set.of("SCRAM-SHA-512", "SCRAM-SHA-256");

  /** Thrown with every problem found, one per line. */
  public static final class InvalidSettings extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    InvalidSettings(List<String> problems) {
      super("invalid settings:\n  " + String.join("\n  ", problems));
    }
  }

  public static Settings from(Map<String, String> env) {
    List<String> problems = new ArrayList<>();
    String brokers = env.getOrDefault("KAFKA_BROKERS", "127.0.0.1:19092").trim();
    if (brokers.isEmpty()) problems.add("KAFKA_BROKERS must list at least one host:port");
    String groupId = env.getOrDefault("GROUP_ID", "team-x-published-notifier");
    if (!GROUP.matcher(groupId).matches()) {
      problems.add("GROUP_ID must be 1-200 of A-Z a-z 0-9 . _ -, got \"" + groupId + "\"");
    }
    Set<String> types = list(env.getOrDefault("EVENT_TYPES", "no.altinn.broker.published"));
    if (types.isEmpty()) problems.add("EVENT_TYPES must name at least one ce_type");
    for (String t : types) {
      if (!t.startsWith("no.altinn.broker.") || !t.equals(t.toLowerCase())) {
        problems.add("EVENT_TYPES: \"" + t + "\" is not a canonical (lowercase) no.altinn.broker.* type");
      }
    }
    Set<String> roles = list(env.getOrDefault("ROLES", ""));
    for (String r : roles) {
      if (!r.equals("Sender") && !r.equals("Recipient")) {
        problems.add("ROLES: \"" + r + "\" is not Sender or Recipient");
      }
    }
    boolean fromBeginning = bool(env, "FROM_BEGINNING", problems);
    boolean exitWhenCaughtUp = bool(env, "EXIT_WHEN_CAUGHT_UP", problems);
    Properties security = security(env, problems);
    if (!problems.isEmpty()) throw new InvalidSettings(problems);
    return new Settings(
        brokers,
        env.getOrDefault("TOPIC", EVENTS_TOPIC),
        groupId,
        types,
        roles,
        fromBeginning,
        exitWhenCaughtUp,
        security);
  }

  private static Properties security(Map<String, String> env, List<String> problems) {
    Properties p = new Properties();
    String protocol = env.getOrDefault("KAFKA_SECURITY_PROTOCOL", "PLAINTEXT");
    if (!PROTOCOLS.contains(protocol)) {
      problems.add("KAFKA_SECURITY_PROTOCOL must be one of " + PROTOCOLS + ", got \"" + protocol + "\"");
      return p;
    }
    p.setProperty("security.protocol", protocol);
    if (protocol.startsWith("SASL_")) {
      String mechanism = env.getOrDefault("KAFKA_SASL_MECHANISM", "SCRAM-SHA-512");
      String user = env.getOrDefault("KAFKA_USERNAME", "");
      String password = env.getOrDefault("KAFKA_PASSWORD", "");
      if (!MECHANISMS.contains(mechanism)) {
        problems.add("KAFKA_SASL_MECHANISM must be one of " + MECHANISMS + ", got \"" + mechanism + "\"");
      }
      if (user.isEmpty()) problems.add("KAFKA_USERNAME is required with " + protocol);
      if (password.isEmpty()) problems.add("KAFKA_PASSWORD is required with " + protocol); // never echoed
      p.setProperty("sasl.mechanism", mechanism);
      p.setProperty(
          "sasl.jaas.config",
          "org.apache.kafka.common.security.scram.ScramLoginModule required username=\""
              + jaasEscape(user)
              + "\" password=\""
              + jaasEscape(password)
              + "\";");
    }
    if (protocol.endsWith("SSL")) {
      copy(env, "KAFKA_SSL_TRUSTSTORE_LOCATION", p, "ssl.truststore.location");
      copy(env, "KAFKA_SSL_TRUSTSTORE_TYPE", p, "ssl.truststore.type");
      copy(env, "KAFKA_SSL_TRUSTSTORE_PASSWORD", p, "ssl.truststore.password");
      copy(env, "KAFKA_SSL_KEYSTORE_LOCATION", p, "ssl.keystore.location");
      copy(env, "KAFKA_SSL_KEYSTORE_TYPE", p, "ssl.keystore.type");
      copy(env, "KAFKA_SSL_KEYSTORE_PASSWORD", p, "ssl.keystore.password");
    }
    return p;
  }

  private static String jaasEscape(String s) {
    return s.replace("\\", "\\\\").replace("\"", "\\\"");
  }

  private static void copy(Map<String, String> env, String name, Properties p, String property) {
    String v = env.get(name);
    if (v != null && !v.isEmpty()) p.setProperty(property, v);
  }

  private static boolean bool(Map<String, String> env, String name, List<String> problems) {
    String v = env.getOrDefault(name, "false");
    if (!v.equals("true") && !v.equals("false")) problems.add(name + " must be true or false, got \"" + v + "\"");
    return v.equals("true");
  }

  private static Set<String> list(String csv) {
    return Arrays.stream(csv.split(","))
        .map(String::trim)
        .filter(s -> !s.isEmpty())
        .collect(Collectors.toUnmodifiableSet());
  }

  /** For logs: everything but secrets. */
  @Override
  public String toString() {
    return "Settings[brokers=" + brokers + ", topic=" + topic + ", groupId=" + groupId + ", types=" + types
        + ", roles=" + roles + ", fromBeginning=" + fromBeginning + ", exitWhenCaughtUp=" + exitWhenCaughtUp
        + ", security.protocol=" + security.getProperty("security.protocol") + "]";
  }
}
