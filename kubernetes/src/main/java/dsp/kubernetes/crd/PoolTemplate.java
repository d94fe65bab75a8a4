package dsp.kubernetes.crd;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn.Type;
import io.fabric8.crd.generator.annotation.SchemaFrom;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.Kind;
import io.fabric8.kubernetes.model.annotation.Plural;
import io.fabric8.kubernetes.model.annotation.ShortNames;
import io.fabric8.kubernetes.model.annotation.Version;
import java.util.Map;

/**
 * A VM template imported by URL (cluster-scoped): the API records it, every vm-pool node's agent
 * downloads it (resumable, checksum verified, size bounded, image checked), converts it to the
 * pool's qcow2 and reports its readiness under {@code status.nodes.<node>}. A node that joins the
 * vm pool later gets every template the same way.
 */
@Group("dynamicpools.io")
@Version("v1alpha1")
@Kind("PoolTemplate")
@Plural("pooltemplates")
@ShortNames("ptpl")
@AdditionalPrinterColumn(name = "URL", type = Type.STRING, jsonPath = ".spec.url")
@AdditionalPrinterColumn(name = "Age", type = Type.DATE, jsonPath = ".metadata.creationTimestamp")
public class PoolTemplate extends CustomResource<PoolTemplate.Spec, PoolTemplate.Status> {

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public static class Spec {
        @Required
        @Pattern("^https?://")
        public String url;
        @Required
        @Pattern("^[0-9a-f]{64}$")
        public String sha256;
        public String createdAt;
    }

    /** Each node's agent writes only its own key of {@code nodes} (a merge patch), so agents never conflict. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public static class Status {
        @JsonPropertyDescription("per vm node, written by that node's agent")
        public Map<String, NodeState> nodes;
    }

    /** One node's copy: Downloading, Ready or Failed (with why). */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public static class NodeState {
        @SchemaFrom(type = PhaseValue.class)
        public String phase;
        public Long bytes;
        public String message;
        public String updatedAt;

        public NodeState() {
        }

        public NodeState(String phase, Long bytes, String message, String updatedAt) {
            this.phase = phase;
            this.bytes = bytes;
            this.message = message;
            this.updatedAt = updatedAt;
        }
    }

    /** The values {@code status.nodes.<node>.phase} may take (the CRD's schema). */
    enum PhaseValue {
        @JsonProperty("Downloading") DOWNLOADING,
        @JsonProperty("Ready") READY,
        @JsonProperty("Failed") FAILED
    }
}
