package dsp.kubernetes.adapter;

import dsp.core.vm.VirtualMachine;
import dsp.kubernetes.Names;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The {@code kubevirt.io/v1} VirtualMachine for a VM made through the API: pinned to the node that
 * holds its disk, booting from that disk as a {@code hostDisk}. KubeVirt gives a hostDisk to QEMU
 * as a raw image (its converter sets the driver type to raw), so the disk must be a raw
 * {@code disk.img}; type {@code Disk}: it exists already (the node agent made it), so no
 * capacity. Created halted: starting it is the user's call ({@code virtctl start}).
 */
final class KubeVirtVirtualMachine {

    static final ResourceDefinitionContext CONTEXT = new ResourceDefinitionContext.Builder()
            .withGroup("kubevirt.io").withVersion("v1").withKind("VirtualMachine").withPlural("virtualmachines").withNamespaced(true).build();
    static final String CRD = "virtualmachines.kubevirt.io";

    private KubeVirtVirtualMachine() {
    }

    /**
     * @param diskPath the raw image's path on the node, e.g. {@code /vm-storage-pool/vm-1/disk.img}
     */
    static GenericKubernetesResource desired(VirtualMachine vm, String node, String diskPath) {
        GenericKubernetesResource kv = new GenericKubernetesResource();
        kv.setApiVersion("kubevirt.io/v1");
        kv.setKind("VirtualMachine");
        kv.setMetadata(new ObjectMetaBuilder().withName(vm.name()).withNamespace(vm.namespace())
                .addToLabels(VmResourceStore.ID_LABEL, vm.id()).build());
        Map<String, Object> domain = new LinkedHashMap<>();
        domain.put("cpu", Map.of("cores", vm.cpu()));
        domain.put("resources", Map.of("requests", Map.of("memory", vm.memoryGb() + "G")));
        domain.put("devices", Map.of("disks", List.of(Map.of("name", "root", "disk", Map.of("bus", "virtio")))));
        Map<String, Object> podSpec = new LinkedHashMap<>();
        podSpec.put("nodeSelector", Map.of(Names.HOSTNAME_LABEL, node));
        podSpec.put("domain", domain);
        podSpec.put("volumes", List.of(Map.of("name", "root", "hostDisk", Map.of("path", diskPath, "type", "Disk"))));
        Map<String, Object> spec = new LinkedHashMap<>();
        spec.put("runStrategy", "Halted");
        spec.put("template", Map.of("metadata", Map.of("labels", Map.of(VmResourceStore.ID_LABEL, vm.id())), "spec", podSpec));
        kv.setAdditionalProperties(Map.of("spec", spec));
        return kv;
    }
}
