package dsp.core.port;

import java.time.Duration;
import java.util.Optional;

/** Where finished operations are counted and timed (Prometheus metrics in both modes). */
public interface OperationRecorder {

    /**
     * @param operation what was done, e.g. {@code vm_create}, {@code claim_provision}
     * @param took      how long it took (a claim: from its creation to its PV)
     * @param error     the kind of failure (e.g. {@code conflict}); empty when it succeeded
     */
    void record(String operation, Duration took, Optional<String> error);

    OperationRecorder NONE = (operation, took, error) -> { };
}
