package dsp.core.usecase;

import dsp.core.ledger.CapacityLedger;
import dsp.core.model.Server;
import dsp.core.port.StorageMeter;
import dsp.core.port.StorageMeter.ServerDiskUsage;
import java.time.Clock;
import java.time.Instant;
import java.util.List;

/**
 * Measures the servers' disks and hands each figure to the ledger, dated. Meant to run in the
 * background, one pass over every server at a time (never on a request): measuring walks disks
 * and takes time proportional to the fleet and its files.
 */
public final class DiskSurvey {

    /** What one pass did. */
    public record Pass(int servers, int measured, int failedBatches) {
    }

    private final CapacityLedger ledger;
    private final StorageMeter meter;
    private final Clock clock;
    private final int batch;

    /** @param batch how many servers the meter is asked about at once */
    public DiskSurvey(CapacityLedger ledger, StorageMeter meter, Clock clock, int batch) {
        if (batch < 1) {
            throw new IllegalArgumentException("batch must be at least 1");
        }
        this.ledger = ledger;
        this.meter = meter;
        this.clock = clock;
        this.batch = batch;
    }

    /** Measures every server once; a batch that fails is skipped (its servers keep their last figures). */
    public Pass pass() {
        List<Server> servers = ledger.servers();
        int measured = 0;
        int failed = 0;
        for (int i = 0; i < servers.size(); i += batch) {
            List<Server> chunk = servers.subList(i, Math.min(servers.size(), i + batch));
            Instant at = clock.instant(); // the figures are at least this fresh
            try {
                for (ServerDiskUsage u : meter.measure(chunk)) {
                    ledger.measured(u, at);
                    measured++;
                }
            } catch (RuntimeException e) {
                failed++;
            }
        }
        return new Pass(servers.size(), measured, failed);
    }
}
