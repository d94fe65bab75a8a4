package dsp.kubernetes.controller;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.ConditionBuilder;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class ConditionsTest {

    private static final Instant THEN = Instant.parse("2026-11-26T01:00:00Z");
    private static final Instant NOW = Instant.parse("2026-11-26T02:00:00Z");

    private static Condition healthy(String status, String message) {
        return new ConditionBuilder().withType("Healthy").withStatus(status).withReason("r").withMessage(message).build();
    }

    @Test
    void theTransitionTimeStaysWhileTheStatusDoes() {
        List<Condition> before = Conditions.transition(null, healthy("True", "2 servers"), THEN);
        assertThat(before).singleElement().extracting(Condition::getLastTransitionTime).isEqualTo(THEN.toString());

        List<Condition> after = Conditions.transition(before, healthy("True", "3 servers"), NOW);
        assertThat(after).singleElement().satisfies(c -> {
            assertThat(c.getLastTransitionTime()).isEqualTo(THEN.toString());
            assertThat(c.getMessage()).isEqualTo("3 servers");
        });
    }

    @Test
    void aNewStatusIsATransitionNow() {
        List<Condition> before = Conditions.transition(null, healthy("True", "ok"), THEN);
        assertThat(Conditions.transition(before, healthy("False", "93 %"), NOW))
                .singleElement().extracting(Condition::getLastTransitionTime).isEqualTo(NOW.toString());
    }

    @Test
    void otherTypesAreKept() {
        Condition other = new ConditionBuilder().withType("Ready").withStatus("True").withLastTransitionTime(THEN.toString()).build();
        assertThat(Conditions.transition(List.of(other), healthy("True", "ok"), NOW)).extracting(Condition::getType)
                .containsExactly("Ready", "Healthy");
    }
}
