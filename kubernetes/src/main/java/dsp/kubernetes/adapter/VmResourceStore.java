package dsp.kubernetes.adapter;

import dsp.core.DomainException;
import dsp.core.port.VmStore;
import dsp.core.vm.VirtualMachine;
import dsp.core.vm.VmStatus;
import dsp.kubernetes.Names;
import dsp.kubernetes.crd.PoolVirtualMachine;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * VMs in Kubernetes mode: one namespaced PoolVirtualMachine each (named as the user named the
 * VM, labelled with its id), plus a {@code kubevirt.io/v1} VirtualMachine pinned to the disk's
 * node when KubeVirt is installed.
 */
public final class VmResourceStore implements VmStore {

    private static final Logger LOG = LoggerFactory.getLogger(VmResourceStore.class);
    static final String ID_LABEL = Names.GROUP + "/vm-id";
    private static final ResourceDefinitionContext KUBEVIRT_VM = new ResourceDefinitionContext.Builder()
            .withGroup("kubevirt.io").withVersion("v1").withKind("VirtualMachine").withPlural("virtualmachines").withNamespaced(true).build();

    private final KubernetesClient client;
    private final PoolVolumeStore volumes;
    private final PoolVolumeRequests paths;

    public VmResourceStore(KubernetesClient client, PoolVolumeStore volumes, PoolVolumeRequests paths) {
        this.client = client;
        this.volumes = volumes;
        this.paths = paths;
    }

    @Override
    public List<VirtualMachine> listVms() {
        return client.resources(PoolVirtualMachine.class).inAnyNamespace().list().getItems().stream()
                .map(VmResourceStore::toVm).flatMap(Optional::stream).toList();
    }

    @Override
    public Optional<VirtualMachine> findVm(String id) {
        return client.resources(PoolVirtualMachine.class).inAnyNamespace().withLabel(ID_LABEL, id).list().getItems().stream()
                .map(VmResourceStore::toVm).flatMap(Optional::stream).findFirst();
    }

    @Override
    public void addVm(VirtualMachine vm) {
        PoolVirtualMachine r = new PoolVirtualMachine();
        r.setMetadata(new ObjectMetaBuilder().withName(vm.name()).withNamespace(vm.namespace()).addToLabels(ID_LABEL, vm.id()).build());
        PoolVirtualMachine.Spec s = new PoolVirtualMachine.Spec();
        s.id = vm.id();
        s.image = vm.image();
        s.serverType = vm.serverType().orElse(null);
        s.cpu = vm.cpu();
        s.memoryGb = vm.memoryGb();
        s.diskVolume = vm.diskId();
        s.createdAt = vm.createdAt().toString();
        r.setSpec(s);
        PoolVirtualMachine.Status st = new PoolVirtualMachine.Status();
        st.status = vm.status().display();
        st.node = volumes.findAllocation(vm.diskId()).map(a -> a.server()).orElse(null);
        r.setStatus(st);
        try {
            client.resources(PoolVirtualMachine.class).inNamespace(vm.namespace()).resource(r).create();
        } catch (KubernetesClientException e) {
            if (e.getCode() == 409) {
                throw DomainException.conflict("a VM named '" + vm.name() + "' already exists in namespace " + vm.namespace());
            }
            if (e.getCode() == 404) {
                throw DomainException.notFound("namespace " + vm.namespace() + " does not exist");
            }
            throw DomainException.storageFailed("cannot record VM " + vm.name() + ": " + e.getMessage());
        }
        createKubeVirtVm(vm, st.node);
    }

    @Override
    public void updateVm(VirtualMachine vm) {
        find(vm.id()).ifPresent(r -> client.resources(PoolVirtualMachine.class).inNamespace(vm.namespace())
                .withName(vm.name()).editStatus(x -> {
                    PoolVirtualMachine.Status st = x.getStatus() == null ? new PoolVirtualMachine.Status() : x.getStatus();
                    st.status = vm.status().display();
                    x.setStatus(st);
                    return x;
                }));
    }

    @Override
    public void removeVm(String id) {
        find(id).ifPresent(r -> {
            client.resources(PoolVirtualMachine.class).inNamespace(r.getMetadata().getNamespace()).withName(r.getMetadata().getName()).delete();
            if (kubeVirtInstalled()) {
                client.genericKubernetesResources(KUBEVIRT_VM).inNamespace(r.getMetadata().getNamespace())
                        .withName(r.getMetadata().getName()).delete();
            }
        });
    }

    private Optional<PoolVirtualMachine> find(String id) {
        return client.resources(PoolVirtualMachine.class).inAnyNamespace().withLabel(ID_LABEL, id).list().getItems().stream().findFirst();
    }

    boolean kubeVirtInstalled() {
        try {
            return client.apiextensions().v1().customResourceDefinitions().withName("virtualmachines.kubevirt.io").get() != null;
        } catch (KubernetesClientException e) {
            return false;
        }
    }

    /** A KubeVirt VirtualMachine pinned to the node that holds the disk (hostDisk needs raw). */
    private void createKubeVirtVm(VirtualMachine vm, String node) {
        if (node == null || !kubeVirtInstalled()) {
            return;
        }
        GenericKubernetesResource kv = new GenericKubernetesResource();
        kv.setApiVersion("kubevirt.io/v1");
        kv.setKind("VirtualMachine");
        kv.setMetadata(new ObjectMetaBuilder().withName(vm.name()).withNamespace(vm.namespace()).addToLabels(ID_LABEL, vm.id()).build());
        String diskPath = volumes.findAllocation(vm.diskId()).map(paths::pathOf).orElse(null);
        kv.setAdditionalProperties(Map.of("spec", Map.of(
                "running", false,
                "template", Map.of("spec", Map.of(
                        "nodeSelector", Map.of(Names.HOSTNAME_LABEL, node),
                        "domain", Map.of("cpu", Map.of("cores", vm.cpu()),
                                "resources", Map.of("requests", Map.of("memory", vm.memoryGb() + "G")),
                                "devices", Map.of("disks", List.of(Map.of("name", "root", "disk", Map.of("bus", "virtio"))))),
                        "volumes", List.of(Map.of("name", "root", "hostDisk", Map.of("path", diskPath, "type", "Disk"))))))));
        try {
            client.genericKubernetesResources(KUBEVIRT_VM).inNamespace(vm.namespace()).resource(kv).create();
            LOG.info("KubeVirt VirtualMachine {}/{} created on node {}", vm.namespace(), vm.name(), node);
        } catch (KubernetesClientException e) {
            LOG.warn("KubeVirt VirtualMachine {}/{} not created: {}", vm.namespace(), vm.name(), e.getMessage());
        }
    }

    static Optional<VirtualMachine> toVm(PoolVirtualMachine r) {
        PoolVirtualMachine.Spec s = r.getSpec();
        if (s == null || s.id == null || s.diskVolume == null) {
            return Optional.empty();
        }
        VmStatus status = r.getStatus() != null && "creating".equals(r.getStatus().status) ? VmStatus.CREATING : VmStatus.STOPPED;
        return Optional.of(new VirtualMachine(s.id, r.getMetadata().getName(), r.getMetadata().getNamespace(), s.image,
                Optional.ofNullable(s.serverType), s.cpu == null ? 1 : s.cpu, s.memoryGb == null ? 1 : s.memoryGb, s.diskVolume, status,
                s.createdAt == null ? Instant.EPOCH : Instant.parse(s.createdAt)));
    }
}
