package dsp.kubernetes;

import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.client.KubernetesClient;
import org.awaitility.Awaitility;
import dsp.core.model.PoolCatalog;
import dsp.kubernetes.agent.NodeAgent;
import dsp.kubernetes.controller.ControllerRuntime;
import dsp.kubernetes.crd.PoolVolume;
import dsp.node.QemuImg;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.PersistentVolume;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaimBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.storage.StorageClassBuilder;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.UnaryOperator;

/**
 * A cluster for provisioning tests: the test API server with the guide's nodes (k8s-1, k8s-2 in
 * the k8s pool, vm-1 in the vm pool) and storage classes, the controller (provisioner and scaling
 * roles), a real node agent per node on a temporary root, and the fake PV controller.
 */
final class ProvisioningWorld implements AutoCloseable {

    static final List<String> NODES = List.of("k8s-1", "k8s-2", "vm-1");

    static {
        Awaitility.setDefaultTimeout(Duration.ofSeconds(20));
        Awaitility.setDefaultPollInterval(Duration.ofMillis(50));
    }

    final TestCluster cluster = new TestCluster();
    private final Path disks;
    private final List<AutoCloseable> running = new ArrayList<>();
    RunningRoles controller;

    ProvisioningWorld(Path disks) {
        this(disks, true);
    }

    /** @param pvController whether the fake PV controller binds and releases (false: PV phases are the test's) */
    ProvisioningWorld(Path disks, boolean pvController) {
        this.disks = disks;
        cluster.addNode("k8s-1", "k8s");
        cluster.addNode("k8s-2", "k8s");
        cluster.addNode("vm-1", "vm");
        storageClass("k8s-pool-storage", "k8s", "Delete", "WaitForFirstConsumer", c -> c);
        storageClass("vm-pool-storage", "vm", "Retain", "WaitForFirstConsumer", c -> c);
        if (pvController) {
            running.add(new FakePvController(cluster.client));
        }
    }

    /** The usual world: everything running, agents on every node. */
    static ProvisioningWorld started(Path disks) {
        ProvisioningWorld w = new ProvisioningWorld(disks);
        w.startController(Clock.systemUTC(), Set.of(ControllerRuntime.Role.PROVISIONER, ControllerRuntime.Role.SCALING));
        NODES.forEach(w::startAgent);
        return w;
    }

    ProvisioningWorld startController(Clock clock, Set<ControllerRuntime.Role> roles) {
        return startController(null, clock, roles);
    }

    /**
     * The controller roles, each with its own ServiceAccount; the provisioner talks to the cluster through
     * {@code client} when given (e.g. one that fails on purpose), else its own.
     */
    ProvisioningWorld startController(KubernetesClient client, Clock clock, Set<ControllerRuntime.Role> roles) {
        return startController(RunningRoles.adaptersOnly(PoolCatalog.guideDefaults()), client, clock, roles);
    }

    /** @param composer how each workload's runtime is made (cli's tests compose the HTTP API too) */
    ProvisioningWorld startController(RunningRoles.Composer composer, KubernetesClient client, Clock clock, Set<ControllerRuntime.Role> roles) {
        controller = RunningRoles.start(w -> w == TestCluster.Workload.PROVISIONER && client != null ? client : cluster.clientAs(w),
                composer, "controller-a", roles, ScalingControllerTest.FAST, clock);
        running.add(controller);
        await().until(controller::isAdmissionLeader);
        return this;
    }

    NodeAgent startAgent(String node) {
        NodeAgent agent = NodeAgents.start(cluster.clientAs(TestCluster.Workload.AGENT), node, root(node), PoolCatalog.guideDefaults(), "vm", QemuImg.onPath(),
                Clock.systemUTC(), Duration.ofMillis(500));
        running.add(agent);
        return agent;
    }

    Path root(String node) {
        return disks.resolve(node);
    }

    /** Where a volume of this pool lives on that node's disk. */
    Path dir(String node, String pool, String volume) {
        return root(node).resolve(pool + "-storage-pool").resolve(volume);
    }

    void storageClass(String name, String pool, String reclaim, String binding, UnaryOperator<StorageClassBuilder> more) {
        cluster.client.storage().v1().storageClasses().resource(more.apply(new StorageClassBuilder().withNewMetadata().withName(name).endMetadata()
                .withProvisioner(Names.PROVISIONER).addToParameters("pool", pool).withReclaimPolicy(reclaim).withAllowVolumeExpansion(true)
                .withVolumeBindingMode(binding)).build()).create();
    }

    PersistentVolumeClaim claim(String name, String storageClass, String size, String selectedNode) {
        return claim(name, storageClass, size, selectedNode, b -> b);
    }

    /** A claim as the PV controller leaves it for an external provisioner (and, given a node, as the scheduler does). */
    PersistentVolumeClaim claim(String name, String storageClass, String size, String selectedNode, UnaryOperator<PersistentVolumeClaimBuilder> more) {
        PersistentVolumeClaimBuilder b = new PersistentVolumeClaimBuilder().withNewMetadata().withName(name).withNamespace("default")
                .addToAnnotations(Names.STORAGE_PROVISIONER_ANN, Names.PROVISIONER).endMetadata()
                .withNewSpec().withAccessModes("ReadWriteOnce").withStorageClassName(storageClass)
                .withNewResources().addToRequests("storage", new Quantity(size)).endResources().endSpec();
        if (selectedNode != null) {
            b.editMetadata().addToAnnotations(Names.SELECTED_NODE_ANN, selectedNode).endMetadata();
        }
        return cluster.client.persistentVolumeClaims().inNamespace("default").resource(more.apply(b).build()).create();
    }

    PersistentVolumeClaim claimNow(String name) {
        return cluster.client.persistentVolumeClaims().inNamespace("default").withName(name).get();
    }

    void deleteClaim(String name) {
        cluster.client.persistentVolumeClaims().inNamespace("default").withName(name).delete();
    }

    void selectNode(String claim, String node) {
        Conflicts.retry(() -> cluster.client.persistentVolumeClaims().inNamespace("default").withName(claim).edit(p -> {
            p.getMetadata().getAnnotations().put(Names.SELECTED_NODE_ANN, node);
            return p;
        }));
    }

    PersistentVolume pvFor(PersistentVolumeClaim c) {
        return cluster.client.persistentVolumes().withName("pvc-" + c.getMetadata().getUid()).get();
    }

    String phaseOf(PersistentVolume pv) {
        return pv == null || pv.getStatus() == null ? null : pv.getStatus().getPhase();
    }

    boolean bound(String claim) {
        PersistentVolumeClaim c = claimNow(claim);
        return c != null && c.getStatus() != null && "Bound".equals(c.getStatus().getPhase());
    }

    List<PoolVolume> poolVolumes() {
        return cluster.client.resources(PoolVolume.class).list().getItems();
    }

    Optional<PoolVolume> poolVolume(String name) {
        return Optional.ofNullable(cluster.client.resources(PoolVolume.class).withName(name).get());
    }

    List<Event> eventsAbout(String name) {
        return cluster.client.v1().events().inAnyNamespace().list().getItems().stream()
                .filter(e -> e.getInvolvedObject() != null && name.equals(e.getInvolvedObject().getName())).toList();
    }

    boolean hasEvent(String about, String reason, String containing) {
        return eventsAbout(about).stream().anyMatch(e -> reason.equals(e.getReason()) && e.getMessage().contains(containing));
    }

    long allocatedOn(String node) {
        return controller.queries().ledger().allocatedOn(node);
    }

    Map<String, String> annotations(String claim) {
        return claimNow(claim).getMetadata().getAnnotations();
    }

    @Override
    public void close() throws Exception {
        for (int i = running.size() - 1; i >= 0; i--) {
            running.get(i).close();
        }
        cluster.close();
    }
}
