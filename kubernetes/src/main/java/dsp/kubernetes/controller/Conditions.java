package dsp.kubernetes.controller;

import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.ConditionBuilder;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/** Status conditions as Kubernetes means them: {@code lastTransitionTime} is when the status last changed, not when it was last written. */
final class Conditions {

    private Conditions() {
    }

    /**
     * The conditions with {@code desired} in place of the one of its type. Its transition time is
     * the old one while the status stays the same (reason and message may still change), else {@code now}.
     */
    static List<Condition> transition(List<Condition> current, Condition desired, Instant now) {
        List<Condition> out = new ArrayList<>();
        String since = now.toString();
        for (Condition c : current == null ? List.<Condition>of() : current) {
            if (Objects.equals(c.getType(), desired.getType())) {
                if (Objects.equals(c.getStatus(), desired.getStatus()) && c.getLastTransitionTime() != null) {
                    since = c.getLastTransitionTime();
                }
            } else {
                out.add(c);
            }
        }
        out.add(new ConditionBuilder(desired).withLastTransitionTime(since).build());
        return out;
    }
}
