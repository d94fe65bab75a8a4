package dsp.kubernetes.crd;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.fabric8.kubernetes.api.model.Namespaced;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.Kind;
import io.fabric8.kubernetes.model.annotation.Plural;
import io.fabric8.kubernetes.model.annotation.ShortNames;
import io.fabric8.kubernetes.model.annotation.Version;

/** A VM made through the API (namespaced, as the guide's body has a namespace). */
@Group("dynamicpools.io")
@Version("v1alpha1")
@Kind("PoolVirtualMachine")
@Plural("poolvirtualmachines")
@ShortNames("pvm")
public class PoolVirtualMachine extends CustomResource<PoolVirtualMachine.Spec, PoolVirtualMachine.Status> implements Namespaced {

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public static class Spec {
        public String id;
        public String image;
        public String serverType;
        public Integer cpu;
        public Integer memoryGb;
        public String diskVolume;
        public String createdAt;
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public static class Status {
        public String status;
        public String node;
    }
}
