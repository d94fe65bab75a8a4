package dsp.kubernetes.crd;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn.Type;
import io.fabric8.crd.generator.annotation.SchemaFrom;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.Kind;
import io.fabric8.kubernetes.model.annotation.Plural;
import io.fabric8.kubernetes.model.annotation.ShortNames;
import io.fabric8.kubernetes.model.annotation.Version;
import java.util.ArrayList;
import java.util.List;

/** One pool (cluster-scoped): its definition as spec, its figures as status. */
@Group("dynamicpools.io")
@Version("v1alpha1")
@Kind("StoragePool")
@Plural("storagepools")
@ShortNames("sp")
@AdditionalPrinterColumn(name = "Servers", type = Type.INTEGER, jsonPath = ".status.servers")
@AdditionalPrinterColumn(name = "Capacity", type = Type.STRING, jsonPath = ".status.capacityGb", getDescription = "GB")
@AdditionalPrinterColumn(name = "Allocated", type = Type.STRING, jsonPath = ".status.allocatedGb",
        getDescription = "GB allocated on the pool's servers")
@AdditionalPrinterColumn(name = "Used", type = Type.STRING, jsonPath = ".status.usedGb", getDescription = "GB measured on disk")
@AdditionalPrinterColumn(name = "Usage", type = Type.STRING, jsonPath = ".status.usagePercentage", getDescription = "percent")
@AdditionalPrinterColumn(name = "Health", type = Type.STRING, jsonPath = ".status.health")
public class StoragePool extends CustomResource<StoragePool.Spec, StoragePool.Status> {

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public static class Spec {
        public String label;
        public String share;
        public String storageClass;
        public String path;
        @SchemaFrom(type = ReclaimPolicyValue.class)
        public String reclaimPolicy;
        public Double overcommit;
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public static class Status {
        public Integer servers;
        public Double capacityGb;
        public Double allocatedGb;
        public Double usedGb;
        public Double availableGb;
        public Double usagePercentage;
        @SchemaFrom(type = HealthValue.class)
        public String health;
        public Integer strandedVolumes;
        public String observedAt;
        public List<Condition> conditions = new ArrayList<>();
    }

    /** The values {@code spec.reclaimPolicy} may take (the CRD's schema). */
    enum ReclaimPolicyValue {
        @JsonProperty("Delete") DELETE,
        @JsonProperty("Retain") RETAIN
    }

    /** The values {@code status.health} may take (the CRD's schema). */
    enum HealthValue {
        @JsonProperty("healthy") HEALTHY,
        @JsonProperty("warning") WARNING,
        @JsonProperty("critical") CRITICAL
    }
}
