package dsp.api.body;

import com.fasterxml.jackson.annotation.JsonInclude;
import dsp.core.usecase.ServerDrain;
import dsp.json.Json;
import java.math.BigDecimal;
import java.util.List;

/** A server's drain: what it holds and what became (or would become) of each volume. */
public final class DrainBodies {

    private DrainBodies() {
    }

    /**
     * @param drained true when nothing is left on the server (a dry run: when everything would move)
     * @param moved   volumes moved (a dry run: that would move)
     */
    public record Drain(String server, boolean dryRun, boolean drained, long moved, long notMoved, List<Volume> volumes) {

        public static Drain of(ServerDrain.Report r) {
            long moved = r.count(r.dryRun() ? ServerDrain.Action.MOVE : ServerDrain.Action.MOVED);
            return new Drain(r.server(), r.dryRun(), r.drained(), moved, r.items().size() - moved,
                    r.items().stream().map(Volume::of).toList());
        }
    }

    /**
     * One volume the server held: {@code action} is {@code move} (dry run), {@code moved},
     * {@code stays} or {@code failed}; {@code target} the server it goes or went to; {@code reason}
     * why it stays or failed.
     */
    @JsonInclude(JsonInclude.Include.ALWAYS)
    public record Volume(String id, String name, String pool, String kind, String format, String phase, BigDecimal sizeGb,
                         String vmId, String vm, String action, String target, String reason) {

        static Volume of(ServerDrain.Item i) {
            return new Volume(i.volume().id(), i.volume().name(), i.volume().pool(), i.volume().kind(), i.volume().format().display(),
                    i.volume().phase().display(), Json.gb(i.volume().sizeBytes()), i.vm().map(v -> v.id()).orElse(null),
                    i.vm().map(v -> v.namespace() + "/" + v.name()).orElse(null), i.action().display(), i.target().orElse(null),
                    i.reason().orElse(null));
        }
    }
}
