package dsp.kubernetes.crd;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn.Type;
import io.fabric8.crd.generator.annotation.SchemaFrom;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Required;
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
@AdditionalPrinterColumn(name = "Pool", type = Type.STRING, jsonPath = ".spec.pool")
@AdditionalPrinterColumn(name = "Node", type = Type.STRING, jsonPath = ".spec.node")
@AdditionalPrinterColumn(name = "Size", type = Type.INTEGER, jsonPath = ".spec.sizeBytes")
@AdditionalPrinterColumn(name = "Format", type = Type.STRING, jsonPath = ".spec.format")
@AdditionalPrinterColumn(name = "Phase", type = Type.STRING, jsonPath = ".status.phase")
@AdditionalPrinterColumn(name = "Released", type = Type.BOOLEAN, jsonPath = ".spec.released")
public class PoolVolume extends CustomResource<PoolVolume.Spec, PoolVolume.Status> {

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public static class Spec {
        /** The volume's name on the node (its directory or image name), unique within the pool. */
        @Required
        public String name;
        @Required
        public String pool;
        @Required
        public String node;
        @Required
        @Min(1)
        public Long sizeBytes;
        @SchemaFrom(type = FormatValue.class)
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
        @SchemaFrom(type = PhaseValue.class)
        public String phase;
        public String path;
        public Long measuredBytes;
        public Long presentedBytes;
        public String message;
    }

    /** The values {@code spec.format} may take (the CRD's schema). */
    enum FormatValue {
        @JsonProperty("directory") DIRECTORY,
        @JsonProperty("qcow2") QCOW2,
        @JsonProperty("raw") RAW
    }

    /** The values {@code status.phase} may take (the CRD's schema). */
    enum PhaseValue {
        @JsonProperty("Pending") PENDING,
        @JsonProperty("Ready") READY,
        @JsonProperty("Failed") FAILED
    }
}
