package dsp.kubernetes;

import java.time.Duration;
import java.util.function.BooleanSupplier;
import org.awaitility.Awaitility;

/** How the Kubernetes tests (here and in cli) wait: Awaitility, up to 20 s, every 50 ms. */
public final class Waiting {

    private Waiting() {
    }

    /** Waits until the condition holds. */
    public static void await(BooleanSupplier condition) {
        Awaitility.await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(50)).until(condition::getAsBoolean);
    }

    /** "Nothing happens": the condition holds throughout the period (Awaitility's {@code during}), checked every 50 ms. */
    public static void holdsFor(Duration period, BooleanSupplier condition) {
        Awaitility.await().during(period).atMost(period.plusSeconds(10)).pollInterval(Duration.ofMillis(50))
                .until(condition::getAsBoolean);
    }
}
