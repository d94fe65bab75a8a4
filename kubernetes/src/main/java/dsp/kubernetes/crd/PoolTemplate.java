package dsp.kubernetes.crd;

import com.fasterxml.jackson.annotation.JsonInclude;
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
public class PoolTemplate extends CustomResource<PoolTemplate.Spec, PoolTemplate.Status> {

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public static class Spec {
        public String url;
        public String sha256;
        public String createdAt;
    }

    /** Each node's agent writes only its own key of {@code nodes} (a merge patch), so agents never conflict. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public static class Status {
        public Map<String, NodeState> nodes;
    }

    /** One node's copy: Downloading, Ready or Failed (with why). */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public static class NodeState {
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
}
