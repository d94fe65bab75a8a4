package dsp.api.body;

import dsp.core.history.CapacityHistory;
import dsp.json.Json;
import java.math.BigDecimal;

/** The capacity history as the API and the dashboard show it. */
public final class HistoryBodies {

    private HistoryBodies() {
    }

    /** One pool's figures at one moment, in the units of the pool status. */
    public record Sample(String at, String pool, int servers, BigDecimal totalCapacityGb, BigDecimal usedCapacityGb,
                         BigDecimal measuredUsedGb, String health) {

        public static Sample of(CapacityHistory.Sample s) {
            return new Sample(s.at().toString(), s.pool(), s.servers(), Json.gb(s.capacity()), Json.gb(s.allocated()),
                    Json.gb(s.measured()), s.health().display());
        }
    }
}
