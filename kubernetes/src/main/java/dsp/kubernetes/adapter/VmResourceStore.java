package dsp.kubernetes.adapter;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dsp.core.DomainException;
import dsp.core.model.Allocation;
import dsp.core.model.VolumeFormat;
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
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * VMs in Kubernetes mode: one namespaced PoolVirtualMachine each (named as the user named the
 * VM, labelled with its id; its status written through the status subresource), plus a
 * {@code kubevirt.io/v1} VirtualMachine pinned to the disk's node when KubeVirt is installed,
 * whose disks are then raw {@code disk.img} images (what KubeVirt's hostDisk boots).
 */
public final class VmResourceStore implements VmStore {

    private static final Logger LOG = LoggerFactory.getLogger(VmResourceStore.class);
    static final String ID_LABEL = Names.GROUP + "/vm-id";
    private static final ResourceDefinitionContext KUBEVIRT_VM = KubeVirtVirtualMachine.CONTEXT;
    private static final ObjectMapper JSON = new ObjectMapper();

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
        String node = volumes.findAllocation(vm.diskId()).map(a -> a.server()).orElse(null);
        writeStatus(vm, node);
        createKubeVirtVm(vm, node);
    }

    /** The API server keeps a status only when it comes through the status subresource. */
    private void writeStatus(VirtualMachine vm, String node) {
        PoolVirtualMachine patch = new PoolVirtualMachine();
        patch.setMetadata(new ObjectMetaBuilder().withName(vm.name()).withNamespace(vm.namespace()).build());
        PoolVirtualMachine.Status st = new PoolVirtualMachine.Status();
        st.status = vm.status().display();
        st.node = node;
        patch.setStatus(st);
        try {
            client.resources(PoolVirtualMachine.class).inNamespace(vm.namespace()).resource(patch).patchStatus();
        } catch (KubernetesClientException e) {
            throw DomainException.storageFailed("cannot record the status of VM " + vm.name() + ": " + e.getMessage());
        }
    }

    @Override
    public void updateVm(VirtualMachine vm) {
        // the node its disk is on now (a drain moves it); a halted KubeVirt VM is pinned there too
        find(vm.id()).ifPresent(r -> writeStatus(vm, volumes.findAllocation(vm.diskId()).map(a -> a.server())
                .orElse(r.getStatus() == null ? null : r.getStatus().node)));
        volumes.findAllocation(vm.diskId()).ifPresent(disk -> {
            try {
                pinKubeVirtVm(vm.id(), disk);
            } catch (DomainException e) {
                LOG.warn("VM {}: {}", vm.id(), e.getMessage());
            }
        });
    }

    /**
     * Why the KubeVirt VirtualMachine of this VM may be using its disk: it is set to run (a
     * runStrategy other than Halted or Manual, {@code running: true}), a start was asked for (a
     * Start in status.stateChangeRequests: what virtctl start does to a Manual one), or it still
     * has an instance (status created, or a printable status other than Stopped; a Manual one
     * only counts as stopped once KubeVirt says Stopped); empty when it is halted or there is none.
     * A Manual VM runs only when started by hand, so without an instance it may move: the pin,
     * written with the resourceVersion checked here, fails if a start comes in between.
     */
    public Optional<String> whyRunning(String vmId) {
        return find(vmId).flatMap(r -> kubeVirtVm(r).flatMap(VmResourceStore::whyRunning));
    }

    private static Optional<String> whyRunning(GenericKubernetesResource kv) {
        String name = "KubeVirt VirtualMachine " + kv.getMetadata().getNamespace() + "/" + kv.getMetadata().getName();
        JsonNode vm = JSON.valueToTree(kv);
        String strategy = vm.at("/spec/runStrategy").asText("");
        boolean manual = "Manual".equals(strategy);
        if (strategy.isEmpty() ? vm.at("/spec/running").asBoolean(false) : !("Halted".equals(strategy) || manual)) {
            return Optional.of(name + " is set to run (" + (strategy.isEmpty() ? "running: true" : "runStrategy " + strategy) + ")");
        }
        for (JsonNode request : vm.at("/status/stateChangeRequests")) {
            if ("Start".equals(request.path("action").asText())) {
                return Optional.of(name + " is being started (a Start request is pending)");
            }
        }
        String printable = vm.at("/status/printableStatus").asText("");
        if (vm.at("/status/created").asBoolean(false) || !(printable.isEmpty() || "Stopped".equals(printable))) {
            return Optional.of(name + " still has an instance (" + (printable.isEmpty() ? "created" : printable) + ")");
        }
        if (manual && printable.isEmpty()) {
            return Optional.of(name + " has runStrategy Manual and KubeVirt has not reported it Stopped");
        }
        return Optional.empty();
    }

    /**
     * Pins the KubeVirt VirtualMachine of this VM to the node and path of {@code disk}, only while it
     * is halted, in one write that fails if the VM changed since it was read (a start between the
     * check and the write is never missed); CONFLICT when it is running or was started meanwhile.
     * Nothing to do without KubeVirt or its VirtualMachine.
     */
    public void pinKubeVirtVm(String vmId, Allocation disk) {
        for (int attempt = 0; ; attempt++) {
            Optional<PoolVirtualMachine> r = find(vmId);
            Optional<GenericKubernetesResource> kv = r.flatMap(this::kubeVirtVm);
            if (kv.isEmpty()) {
                return;
            }
            JsonNode seen = JSON.valueToTree(kv.get());
            String path = paths.pathOf(disk);
            JsonNode pod = seen.at("/spec/template/spec");
            boolean pinned = disk.server().equals(pinnedNode(seen))
                    && java.util.stream.StreamSupport.stream(pod.path("volumes").spliterator(), false)
                    .allMatch(v -> v.path("hostDisk").isMissingNode() || path.equals(v.at("/hostDisk/path").asText()));
            if (pinned) {
                return; // running or not: it uses that disk
            }
            Optional<String> running = whyRunning(kv.get());
            if (running.isPresent()) {
                throw DomainException.conflict(running.get());
            }
            ObjectNode desired = seen.deepCopy();
            ObjectNode podSpec = (ObjectNode) desired.at("/spec/template/spec");
            podSpec.putObject("nodeSelector").put(Names.HOSTNAME_LABEL, disk.server());
            podSpec.path("volumes").forEach(v -> {
                if (v.has("hostDisk")) {
                    ((ObjectNode) v.get("hostDisk")).put("path", path);
                }
            });
            try {
                // carries the resourceVersion read above: a start since then makes it a 409
                client.genericKubernetesResources(KUBEVIRT_VM).inNamespace(kv.get().getMetadata().getNamespace())
                        .resource(JSON.treeToValue(desired, GenericKubernetesResource.class)).update();
                LOG.info("KubeVirt VirtualMachine {}/{} pinned to node {}", kv.get().getMetadata().getNamespace(), kv.get().getMetadata().getName(),
                        disk.server());
                return;
            } catch (KubernetesClientException e) {
                if (e.getCode() != 409 || attempt >= 4) {
                    throw DomainException.storageFailed("cannot pin KubeVirt VirtualMachine " + kv.get().getMetadata().getName()
                            + " to node " + disk.server() + ": " + e.getMessage());
                }
            } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                throw new IllegalStateException(e);
            }
        }
    }

    /** The node the KubeVirt VirtualMachine of this VM is pinned to (where it runs when started); empty without one. */
    public Optional<String> kubeVirtNode(String vmId) {
        return find(vmId).flatMap(this::kubeVirtVm).map(kv -> pinnedNode(JSON.valueToTree(kv))).filter(n -> !n.isEmpty());
    }

    private static String pinnedNode(JsonNode kubeVirtVm) {
        return kubeVirtVm.at("/spec/template/spec/nodeSelector").path(Names.HOSTNAME_LABEL).asText("");
    }

    private Optional<GenericKubernetesResource> kubeVirtVm(PoolVirtualMachine r) {
        if (!kubeVirtInstalled()) {
            return Optional.empty();
        }
        return Optional.ofNullable(client.genericKubernetesResources(KUBEVIRT_VM).inNamespace(r.getMetadata().getNamespace())
                .withName(r.getMetadata().getName()).get());
    }

    /** Where KubeVirt runs the VMs, their disks are raw: its hostDisk hands QEMU a raw image whatever the file holds. */
    @Override
    public VolumeFormat diskFormat(Optional<VolumeFormat> requested) {
        if (!kubeVirtInstalled()) {
            return requested.orElse(VolumeFormat.QCOW2);
        }
        if (requested.isPresent() && requested.get() == VolumeFormat.QCOW2) {
            throw DomainException.invalid("KubeVirt is installed and boots a VM's hostDisk as a raw image only: "
                    + "leave disk_format out (raw is the default here) or ask for raw");
        }
        return requested.orElse(VolumeFormat.RAW);
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
            return client.apiextensions().v1().customResourceDefinitions().withName(KubeVirtVirtualMachine.CRD).get() != null;
        } catch (KubernetesClientException e) {
            return false;
        }
    }

    /** A KubeVirt VirtualMachine pinned to the node that holds the disk, booting it as a raw hostDisk. */
    private void createKubeVirtVm(VirtualMachine vm, String node) {
        if (node == null || !kubeVirtInstalled()) {
            return;
        }
        Optional<dsp.core.model.Allocation> disk = volumes.findAllocation(vm.diskId());
        if (disk.isEmpty() || disk.get().format() != VolumeFormat.RAW) {
            LOG.warn("VM {}/{}: its disk is not a raw image, so no KubeVirt VirtualMachine is made for it", vm.namespace(), vm.name());
            return;
        }
        try {
            client.genericKubernetesResources(KUBEVIRT_VM).inNamespace(vm.namespace())
                    .resource(KubeVirtVirtualMachine.desired(vm, node, paths.pathOf(disk.get()))).create();
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
        // no status yet: recorded, not yet done (the status subresource is written right after)
        VmStatus status = r.getStatus() == null || r.getStatus().status == null || "creating".equals(r.getStatus().status)
                ? VmStatus.CREATING : VmStatus.STOPPED;
        return Optional.of(new VirtualMachine(s.id, r.getMetadata().getName(), r.getMetadata().getNamespace(), s.image,
                Optional.ofNullable(s.serverType), s.cpu == null ? 1 : s.cpu, s.memoryGb == null ? 1 : s.memoryGb, s.diskVolume, status,
                s.createdAt == null ? Instant.EPOCH : Instant.parse(s.createdAt)));
    }
}
