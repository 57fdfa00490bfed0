package examples.brokerevents;

import java.nio.charset.StandardCharsets;
import java.util.Set;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;

/**
 * Decides from the record headers alone whether an event is for us: the value is never read (nor trusted) for
 * events we skip. Header names are in docs/schemas/headers.schema.json.
 */
public final class HeaderFilter {
  public static final String TYPE = "ce_type";
  public static final String ROLE = "altinn_role";
  public static final String TYPE_KNOWN = "altinn_typeknown";

  /** What to do with a record. */
  public enum Decision {
    /** One of our types (and roles): decode and handle it. */
    HANDLE,
    /** Not for us. */
    SKIP,
    /** A Broker type the gateway did not know yet (altinn_typeknown=false): delivered, flagged; log it. */
    UNKNOWN_TYPE
  }

  private final Set<String> types;
  private final Set<String> roles;

  public HeaderFilter(Set<String> types, Set<String> roles) {
    this.types = Set.copyOf(types);
    this.roles = Set.copyOf(roles);
  }

  public Decision decide(Headers headers) {
    String type = header(headers, TYPE);
    if ("false".equals(header(headers, TYPE_KNOWN))) return Decision.UNKNOWN_TYPE;
    if (type == null || !types.contains(type)) return Decision.SKIP;
    if (!roles.isEmpty()) {
      // No altinn_role header: the event has no data, so no Role. It is for both parties; keep it.
      String role = header(headers, ROLE);
      if (role != null && !roles.contains(role)) return Decision.SKIP;
    }
    return Decision.HANDLE;
  }

  /** The last value of a header as UTF-8 text, or null. */
  public static String header(Headers headers, String name) {
    Header h = headers.lastHeader(name);
    return h == null || h.value() == null ? null : new String(h.value(), StandardCharsets.UTF_8);
  }
}
