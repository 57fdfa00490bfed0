package examples.brokerevents;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import examples.brokerevents.HeaderFilter.Decision;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.junit.jupiter.api.Test;

class HeaderFilterTest {
  private static RecordHeaders headers(String type, String role, String known) {
    RecordHeaders h = new RecordHeaders();
    if (type != null) h.add("ce_type", type.getBytes(StandardCharsets.UTF_8));
    if (role != null) h.add("altinn_role", role.getBytes(StandardCharsets.UTF_8));
    if (known != null) h.add("altinn_typeknown", known.getBytes(StandardCharsets.UTF_8));
    return h;
  }

  private final HeaderFilter filter = new HeaderFilter(Set.of("no.altinn.broker.published"), Set.of("Recipient"));

  @Test
  void handlesOurTypeAndRoleAndSkipsTheRest() {
    assertEquals(Decision.HANDLE, filter.decide(headers("no.altinn.broker.published", "Recipient", "true")));
    assertEquals(Decision.SKIP, filter.decide(headers("no.altinn.broker.published", "Sender", "true")));
    assertEquals(Decision.SKIP, filter.decide(headers("no.altinn.broker.filepurged", "Recipient", "true")));
    assertEquals(Decision.SKIP, filter.decide(headers(null, null, null)));
  }

  @Test
  void keepsAnEventWithoutDataWhoseRoleItCannotTell() {
    assertEquals(Decision.HANDLE, filter.decide(headers("no.altinn.broker.published", null, "true")));
  }

  @Test
  void flagsATypeTheGatewayDidNotKnow() {
    assertEquals(Decision.UNKNOWN_TYPE, filter.decide(headers("no.altinn.broker.filescanned", "Sender", "false")));
  }

  @Test
  void settingsNameEveryBadVariableAndNeverThePassword() {
    Settings.InvalidSettings e =
        assertThrows(
            Settings.InvalidSettings.class,
            () ->
                Settings.from(
                    Map.of(
                        "GROUP_ID", "bad group",
                        "EVENT_TYPES", "no.altinn.broker.Published",
                        "ROLES", "Admin",
                        "KAFKA_SECURITY_PROTOCOL", "SASL_SSL",
                        "KAFKA_PASSWORD", "s3cret")));
    for (String name : new String[] {"GROUP_ID", "EVENT_TYPES", "ROLES", "KAFKA_USERNAME"}) {
      assertTrue(e.getMessage().contains(name), e.getMessage());
    }
    assertTrue(!e.getMessage().contains("s3cret"));
    Settings ok =
        Settings.from(
            Map.of(
                "KAFKA_SECURITY_PROTOCOL", "SASL_SSL", "KAFKA_USERNAME", "team-x", "KAFKA_PASSWORD", "s3cret"));
    assertEquals("SCRAM-SHA-512", ok.security().getProperty("sasl.mechanism"));
    assertTrue(!ok.toString().contains("s3cret"));
  }
}
