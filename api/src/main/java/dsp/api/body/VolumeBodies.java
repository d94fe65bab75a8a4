package dsp.api.body;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import dsp.json.Json;
import dsp.core.model.Allocation;
import dsp.core.port.StorageCleaner;
import dsp.core.usecase.CleanupService;
import java.math.BigDecimal;
import java.util.List;

/** Volumes (standalone's stand-in for PVCs) and the guide's pool cleanup. */
public final class VolumeBodies {

    private VolumeBodies() {
    }

    public record CreateVolume(@JsonProperty(required = true) @JsonPropertyDescription("the volume's name") String name,
                               @JsonProperty(required = true) @JsonPropertyDescription("the pool to place it in, e.g. k8s") String pool,
                               @JsonProperty(required = true)
                               @JsonPropertyDescription("GB as a number or a quantity such as \"100Gi\"") Size size,
                               String format) {
    }

    /** A volume; {@code measured_used_gb} only when one volume is asked for (it measures the disk). */
    @JsonInclude(JsonInclude.Include.ALWAYS)
    public record Volume(String id, String name, String pool, String node, BigDecimal sizeGb, String format, String phase,
                         String kind, String path, String template, String owner, String createdAt,
                         @JsonInclude(JsonInclude.Include.NON_NULL) BigDecimal measuredUsedGb) {

        public static Volume of(Allocation a, String path) {
            return new Volume(a.id(), a.name(), a.pool(), a.server(), Json.gb(a.sizeBytes()), a.format().display(),
                    a.phase().display(), a.kind(), path, a.template().orElse(null), a.owner().orElse(null),
                    a.createdAt().toString(), null);
        }

        public Volume measured(long bytes) {
            return new Volume(id, name, pool, node, sizeGb, format, phase, kind, path, template, owner, createdAt, Json.gb(bytes));
        }
    }

    public record Volumes(List<Volume> volumes) {
    }

    public record Deleted(String id, String result, String path) {
    }

    public record Moved(String server, String pool, String entry, long bytes, String trash) {

        static Moved of(StorageCleaner.Item i) {
            return new Moved(i.server(), i.pool(), i.entry(), i.bytes(), i.trash());
        }
    }

    /** A server whose part of a cleanup run failed. */
    public record Failed(String server, String message) {
    }

    /** A cleanup run: what moved, and (Kubernetes mode) which nodes have yet to answer. */
    public record Cleanup(String run, boolean dryRun, String at, List<String> servers, List<String> pending, List<Failed> failed,
                          int count, long bytes, List<Moved> moved) {

        public static Cleanup of(CleanupService.Report r) {
            return new Cleanup(r.run(), r.dryRun(), r.at().toString(), r.servers(), r.pending(),
                    r.failed().stream().map(o -> new Failed(o.server(), o.error().orElse(""))).toList(), r.items().size(), r.bytes(),
                    r.items().stream().map(Moved::of).toList());
        }
    }
}
