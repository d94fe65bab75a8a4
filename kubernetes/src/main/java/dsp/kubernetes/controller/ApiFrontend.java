package dsp.kubernetes.controller;

import java.util.Optional;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * The HTTP API of the api and monitor roles. The composition root provides it, so this module
 * knows nothing of HTTP: the runtime says when changes are accepted and what the probes report.
 */
@FunctionalInterface
public interface ApiFrontend {

    Served serve(ControllerParts parts, Access access, String host, int port);

    /**
     * @param writable  whether changes are accepted here (only on the admission Lease holder)
     * @param ready     what /readyz reports
     * @param unhealthy why this process cannot recover by itself (/healthz), empty while it can
     */
    record Access(BooleanSupplier writable, BooleanSupplier ready, Supplier<Optional<String>> unhealthy) {
    }

    /** A running API. */
    interface Served extends AutoCloseable {
        int port();

        @Override
        void close();
    }
}
