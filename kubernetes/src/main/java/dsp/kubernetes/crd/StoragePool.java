package dsp.kubernetes.crd;

import com.fasterxml.jackson.annotation.JsonInclude;
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
public class StoragePool extends CustomResource<StoragePool.Spec, StoragePool.Status> {

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public static class Spec {
        public String label;
        public String share;
        public String storageClass;
        public String path;
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
        public String health;
        public Integer strandedVolumes;
        public String observedAt;
        public List<Condition> conditions = new ArrayList<>();
    }
}
