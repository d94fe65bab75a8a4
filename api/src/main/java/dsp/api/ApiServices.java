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

    /** Long operations run on two background threads, so a burst of imports queues rather than thrashes the disk. */
    public static Operations defaultOperations() {
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(2, r -> {
            Thread t = new Thread(r, "operation");
            t.setDaemon(true);
            return t;
        });
        return new Operations(java.time.Clock.systemUTC(), pool, () -> "op-" + java.util.UUID.randomUUID().toString().substring(0, 8));
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
