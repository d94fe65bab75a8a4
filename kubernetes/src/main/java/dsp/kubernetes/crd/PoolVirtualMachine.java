package dsp.kubernetes.crd;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn.Type;
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
@AdditionalPrinterColumn(name = "ID", type = Type.STRING, jsonPath = ".spec.id")
@AdditionalPrinterColumn(name = "Image", type = Type.STRING, jsonPath = ".spec.image")
@AdditionalPrinterColumn(name = "CPU", type = Type.INTEGER, jsonPath = ".spec.cpu")
@AdditionalPrinterColumn(name = "Memory", type = Type.INTEGER, jsonPath = ".spec.memoryGb")
@AdditionalPrinterColumn(name = "Node", type = Type.STRING, jsonPath = ".status.node")
@AdditionalPrinterColumn(name = "Status", type = Type.STRING, jsonPath = ".status.status")
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
