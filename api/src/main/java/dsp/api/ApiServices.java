package dsp.api;

import dsp.core.history.CapacityHistory;
import dsp.core.operation.Operations;
import dsp.core.usecase.CleanupService;
import dsp.core.usecase.PoolQueries;
import dsp.core.usecase.ServerAdministration;
import dsp.core.usecase.TemplateService;
import dsp.core.usecase.VmService;
import dsp.core.usecase.VolumeService;
import java.time.Duration;
import java.util.function.BooleanSupplier;

/** What the HTTP layer calls: the core's use cases, and a readiness probe of the adapters. */
public record ApiServices(PoolQueries queries, ServerAdministration servers, VmService vms, VolumeService volumes,
                          TemplateService templates, CleanupService cleanup, BooleanSupplier ready, CapacityHistory history,
                          Operations operations) {

    /** Three days of capacity samples, one a minute while nothing changes. */
    public static CapacityHistory defaultHistory() {
        return new CapacityHistory(Duration.ofDays(3), Duration.ofMinutes(1));
    }

    /**
     * Long operations run on two background threads, so a burst of imports queues rather than thrashes the disk;
     * a VM create asked for asynchronously runs at once on its own thread, as it would in its request.
     */
    public static Operations defaultOperations() {
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(2, daemon("operation"));
        java.util.concurrent.ExecutorService checked = java.util.concurrent.Executors.newCachedThreadPool(daemon("operation-checked"));
        return new Operations(java.time.Clock.systemUTC(), pool, checked, () -> "op-" + java.util.UUID.randomUUID().toString().substring(0, 8));
    }

    private static java.util.concurrent.ThreadFactory daemon(String name) {
        return r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            return t;
        };
    }

    public ApiServices(PoolQueries queries, ServerAdministration servers, VmService vms, VolumeService volumes,
                       TemplateService templates, CleanupService cleanup, BooleanSupplier ready, CapacityHistory history) {
        this(queries, servers, vms, volumes, templates, cleanup, ready, history, defaultOperations());
    }

    public ApiServices(PoolQueries queries, ServerAdministration servers, VmService vms, VolumeService volumes,
                       TemplateService templates, CleanupService cleanup, BooleanSupplier ready) {
        this(queries, servers, vms, volumes, templates, cleanup, ready, defaultHistory());
    }
}
