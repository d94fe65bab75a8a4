package dsp.kubernetes.crd;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.Kind;
import io.fabric8.kubernetes.model.annotation.Plural;
import io.fabric8.kubernetes.model.annotation.ShortNames;
import io.fabric8.kubernetes.model.annotation.Version;

/**
 * One allocation (cluster-scoped): a PVC's volume or a VM disk on one node. The node agent on
 * that node makes it real and reports phase and measured bytes (the TopoLVM LogicalVolume
 * pattern). Deleting it deletes the data: a finalizer holds it until the agent has done so.
 */
@Group("dynamicpools.io")
@Version("v1alpha1")
@Kind("PoolVolume")
@Plural("poolvolumes")
@ShortNames("pv2")
public class PoolVolume extends CustomResource<PoolVolume.Spec, PoolVolume.Status> {

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public static class Spec {
        /** The volume's name on the node (its directory or image name), unique within the pool. */
        public String name;
        public String pool;
        public String node;
        public Long sizeBytes;
        public String format;
        public String template;
        public String owner;
        public String kind;
        /** The data stays but nothing uses it (a Retain pool's released volume). */
        public Boolean released;
        public String claimNamespace;
        public String claimName;
        public String claimUid;
        public String createdAt;
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public static class Status {
        /** Pending, Ready or Failed. */
        public String phase;
        public String path;
        public Long measuredBytes;
        public Long presentedBytes;
        public String message;
    }
}
