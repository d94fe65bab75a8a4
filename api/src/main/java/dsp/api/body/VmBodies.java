package dsp.api.body;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import dsp.json.Json;
import dsp.core.vm.ServerType;
import dsp.core.vm.VmView;
import java.math.BigDecimal;
import java.util.List;

/** The guide's VM bodies ({@code POST /api/v1/vms}, resize) and what the VM routes answer. */
public final class VmBodies {

    private VmBodies() {
    }

    /** The guide's create body; what is absent is left to the server type, the template or the defaults. */
    public record CreateVm(@JsonProperty(required = true) @JsonPropertyDescription("the VM's name, e.g. \"test-vm\"") String name,
                           @JsonProperty(required = true) @JsonPropertyDescription("the name of a template, e.g. ubuntu22") String image,
                           String serverType, Integer cpu, Integer memory, Size storage,
                           String namespace, String diskFormat) {
    }

    /** The guide's resize body. */
    public record Resize(@JsonProperty(required = true) @JsonPropertyDescription("e.g. {\"new_size_gb\": 100}") Size newSizeGb) {
    }

    public record Vm(String id, String name, String namespace, String node, String image, String serverType, int cpu,
                     int memory, BigDecimal storage, String diskId, String diskPath, String diskFormat, String pool,
                     String status, String createdAt) {

        public static Vm of(VmView v) {
            return new Vm(v.vm().id(), v.vm().name(), v.vm().namespace(), v.disk().server(), v.vm().image(),
                    v.vm().serverType().orElse(null), v.vm().cpu(), v.vm().memoryGb(), Json.gb(v.disk().sizeBytes()),
                    v.disk().id(), v.diskPath(), v.disk().format().display(), v.disk().pool(), v.vm().status().display(),
                    v.vm().createdAt().toString());
        }
    }

    public record Vms(List<Vm> vms) {
    }

    /** What became of a deleted VM's disk: {@code released} (kept, the pool retains) or {@code deleted}. */
    public record DiskOutcome(String id, String name, String result, String path) {
    }

    public record Deleted(String deleted, DiskOutcome disk) {
    }

    public record Preset(String name, int cpu, int memory, int storage) {

        public static Preset of(ServerType t) {
            return new Preset(t.name(), t.cpu(), t.memoryGb(), t.diskGb());
        }
    }

    public record Presets(List<Preset> serverTypes) {
    }
}
