package dsp.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dsp.kubernetes.controller.ControllerRuntime.Role;
import dsp.kubernetes.controller.Provisioner;
import io.fabric8.kubernetes.api.model.PersistentVolume;
import io.fabric8.kubernetes.api.model.PersistentVolumeBuilder;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.PersistentVolumeStatusBuilder;
import io.fabric8.kubernetes.api.model.TopologySelectorTermBuilder;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The behaviours of kubernetes-sigs/sig-storage-lib-external-provisioner's controller tests
 * ({@code controller/controller_test.go}: TestController, TestTopologyParams, TestShouldProvision,
 * TestShouldDelete, TestShouldDeleteWithFinalizer, TestCanProvision) that apply to a provisioner of
 * local directory volumes, each as it shows on the test API server.
 *
 * <p>Applies, one test each (the reference's case names in brackets):
 * <ul>
 * <li>only claims naming this provisioner, by annotation (the GA one or the beta one) and by
 * class, are provisioned ["provision for claim-1 but not claim-2", "not this provisioner's job",
 * "unknown provisioner annotation 1.5/1.23", "no provisioner annotation"];</li>
 * <li>a claim whose class does not exist yet gets no volume, and is provisioned once the class
 * appears ["don't provision for claim-1 because its class doesn't exist"; the library retries it];</li>
 * <li>the PV takes the class's reclaim policy and mount options, the claim's access modes and
 * size, the provisioned-by annotation, a claimRef with the claim's uid, the name
 * {@code pvc-<uid>} ["provision with Retain reclaim policy", newProvisionedVolume];</li>
 * <li>no storage is provisioned for a claim whose PV already exists ["don't provision, volume
 * already exists"];</li>
 * <li>WaitForFirstConsumer claims wait for {@code selected-node}; bound claims are left alone
 * ["if PVC is in delay binding mode, should not provision if annSelectedNode is not set",
 * "don't provision for claim-1 because it's already bound"];</li>
 * <li>an Immediate class's allowedTopologies decide where the volume goes, and a selected node
 * outside them is handed back to the scheduler [TestTopologyParams];</li>
 * <li>rescheduling removes {@code selected-node} (no room, unknown node: see ProvisionerTest), but
 * a final error keeps it ["do not remove selectedNode after final error, only the claim"];</li>
 * <li>Block is refused with an Event and nothing provisioned ["don't provision, provisioner does
 * not support raw block", TestCanProvision]: in ProvisionerTest, with the other claims a directory
 * cannot serve;</li>
 * <li>a PV whose save fails is retried until saved, and a PV whose delete fails is retried until
 * deleted ["PV save backoff", "try to delete volume-1 but fail to delete the pv object"];</li>
 * <li>only this provisioner's Released PVs with policy Delete are deleted; Bound, Retain and other
 * provisioners' PVs are not ["delete volume-1 but not volume-2", "don't delete volume-1 because
 * it's still bound", "... its reclaim policy is not delete", TestShouldDelete];</li>
 * <li>the finalizer {@code external-provisioner.volume.kubernetes.io/finalizer} is on every PV
 * provisioned, added to ours that lack it, never to others' nor to a PV being deleted ["provision
 * for ext provisioner with finalizer", "ensure finalizer is not added if the volume is under
 * deletion", TestIsProvisionerForVolume]; the data goes before the finalizer ("ensure volume with
 * finalizer is deleted ...", in ProvisionerTest).</li>
 * </ul>
 *
 * <p>Does not apply: additional provisioner names and Qualifier/ignored provisioners (one name,
 * no plug-in chain); claimsInProgress and ProvisioningInBackground (provisioning here is a
 * PoolVolume the agent makes: a claim deleted meanwhile has its volume deleted instead, see
 * ProvisionerTest); metrics (the ops role's); CSI volumes, migrated in-tree volumes and the
 * "infeasible error" slow set (gRPC codes of CSI drivers; our refusals are Events without retry).
 * One deliberate difference: the library drops its finalizer from Retain PVs; ours keeps it, since
 * deleting a Retain PV must still reach the ledger (its volume becomes an unowned released one)
 * even when it happens while the provisioner is down.
 */
class ExternalProvisionerContractTest {

    private static final Duration QUIET = Duration.ofMillis(800);
    private static final String OTHER = "example.com/other";

    @TempDir
    Path disks;

    private ProvisioningWorld world;

    @AfterEach
    void stop() throws Exception {
        if (world != null) {
            world.close();
        }
    }

    private static void quietly(java.util.concurrent.Callable<Boolean> stillTrue) {
        await().during(QUIET).atMost(QUIET.multipliedBy(3)).until(stillTrue);
    }

    @Test
    void onlyClaimsThatNameThisProvisionerAreProvisioned() {
        world = ProvisioningWorld.started(disks);
        world.storageClass("other-storage", "k8s", "Delete", "WaitForFirstConsumer", c -> c.withProvisioner(OTHER));
        PersistentVolumeClaim beta = world.claim("beta", "k8s-pool-storage", "1Gi", "k8s-1", b -> b.editMetadata()
                .removeFromAnnotations(Names.STORAGE_PROVISIONER_ANN).addToAnnotations(Names.BETA_STORAGE_PROVISIONER_ANN, Names.PROVISIONER)
                .endMetadata());
        PersistentVolumeClaim otherAnnotation = world.claim("other-annotation", "k8s-pool-storage", "1Gi", "k8s-1", b -> b.editMetadata()
                .addToAnnotations(Names.STORAGE_PROVISIONER_ANN, OTHER).endMetadata());
        PersistentVolumeClaim noAnnotation = world.claim("no-annotation", "k8s-pool-storage", "1Gi", "k8s-1", b -> b.editMetadata()
                .removeFromAnnotations(Names.STORAGE_PROVISIONER_ANN).endMetadata());
        PersistentVolumeClaim otherClass = world.claim("other-class", "other-storage", "1Gi", "k8s-1");
        await().until(() -> world.pvFor(beta) != null);
        quietly(() -> world.pvFor(otherAnnotation) == null && world.pvFor(noAnnotation) == null && world.pvFor(otherClass) == null
                && world.poolVolumes().size() == 1);
        assertThat(world.eventsAbout("other-annotation")).isEmpty();
        assertThat(world.eventsAbout("other-class")).isEmpty();
    }

    @Test
    void aClaimWhoseClassAppearsLaterIsProvisioned() {
        world = ProvisioningWorld.started(disks);
        PersistentVolumeClaim c = world.claim("early", "late-storage", "1Gi", "k8s-2");
        await().until(() -> world.hasEvent("early", "ProvisioningFailed", "storage class late-storage does not exist"));
        assertThat(world.poolVolumes()).isEmpty();
        world.storageClass("late-storage", "k8s", "Delete", "WaitForFirstConsumer", b -> b);
        await().until(() -> world.pvFor(c) != null);
        assertThat(world.pvFor(c).getSpec().getStorageClassName()).isEqualTo("late-storage");
    }

    @Test
    void thePvTakesTheClassReclaimPolicyAndMountOptionsAndTheClaimsModesAndSize() {
        world = ProvisioningWorld.started(disks);
        world.storageClass("tuned", "k8s", "Retain", "WaitForFirstConsumer", b -> b.withMountOptions("noatime", "nodiratime"));
        PersistentVolumeClaim c = world.claim("tuned-claim", "tuned", "3Gi", "k8s-1");
        await().until(() -> world.pvFor(c) != null);
        PersistentVolume pv = world.pvFor(c);
        assertThat(pv.getMetadata().getName()).isEqualTo("pvc-" + c.getMetadata().getUid());
        assertThat(pv.getSpec().getMountOptions()).containsExactly("noatime", "nodiratime");
        assertThat(pv.getSpec().getPersistentVolumeReclaimPolicy()).isEqualTo("Retain");
        assertThat(pv.getSpec().getAccessModes()).containsExactly("ReadWriteOnce");
        assertThat(pv.getSpec().getVolumeMode()).isEqualTo("Filesystem");
        assertThat(pv.getSpec().getCapacity().get("storage").toString()).isEqualTo("3Gi");
        assertThat(pv.getSpec().getStorageClassName()).isEqualTo("tuned");
        assertThat(pv.getSpec().getClaimRef().getName()).isEqualTo("tuned-claim");
        assertThat(pv.getSpec().getClaimRef().getNamespace()).isEqualTo("default");
        assertThat(pv.getSpec().getClaimRef().getUid()).isEqualTo(c.getMetadata().getUid());
        assertThat(pv.getMetadata().getAnnotations()).containsEntry(Names.PROVISIONED_BY_ANN, Names.PROVISIONER);
        assertThat(pv.getMetadata().getFinalizers()).contains(Provisioner.PV_FINALIZER);
    }

    @Test
    void noStorageIsAllocatedForAClaimWhosePvAlreadyExists() {
        world = ProvisioningWorld.started(disks);
        PersistentVolumeClaim c = world.claim("has-pv", "k8s-pool-storage", "1Gi", null);
        world.cluster.client.persistentVolumes().resource(new PersistentVolumeBuilder().withNewMetadata()
                .withName("pvc-" + c.getMetadata().getUid()).addToAnnotations(Names.PROVISIONED_BY_ANN, Names.PROVISIONER).endMetadata()
                .withNewSpec().addToCapacity("storage", new io.fabric8.kubernetes.api.model.Quantity("1Gi")).withAccessModes("ReadWriteOnce")
                .withStorageClassName("k8s-pool-storage").withNewLocal().withPath("/k8s-storage-pool/pvc-" + c.getMetadata().getUid()).endLocal()
                .endSpec().build()).create();
        // the provisioner knows the PV (it gave it the finalizer it lacked) before the scheduler picks a node
        await().until(() -> world.pvFor(c).getMetadata().getFinalizers().contains(Provisioner.PV_FINALIZER));
        world.selectNode("has-pv", "k8s-1");
        quietly(() -> world.poolVolumes().isEmpty() && world.allocatedOn("k8s-1") == 0);
    }

    @Test
    void waitForFirstConsumerClaimsWaitForTheSchedulerAndBoundClaimsAreLeftAlone() {
        world = ProvisioningWorld.started(disks);
        world.claim("unscheduled", "k8s-pool-storage", "1Gi", null);
        world.claim("already-bound", "k8s-pool-storage", "1Gi", "k8s-1", b -> b.editSpec().withVolumeName("someone-elses").endSpec());
        quietly(() -> world.poolVolumes().isEmpty() && world.cluster.client.persistentVolumes().list().getItems().isEmpty());
        assertThat(world.eventsAbout("unscheduled")).isEmpty();
        world.selectNode("unscheduled", "k8s-2");
        await().until(() -> world.bound("unscheduled"));
        assertThat(world.pvFor(world.claimNow("unscheduled")).getSpec().getNodeAffinity().getRequired().getNodeSelectorTerms().get(0)
                .getMatchExpressions().get(0).getValues()).containsExactly("k8s-2");
    }

    @Test
    void allowedTopologiesDecideWhereAnImmediateVolumeGoesAndSendABadSelectedNodeBack() {
        world = ProvisioningWorld.started(disks);
        var onlyK8s2 = new TopologySelectorTermBuilder().addNewMatchLabelExpression().withKey(Names.HOSTNAME_LABEL).withValues("k8s-2")
                .endMatchLabelExpression().build();
        world.storageClass("pinned-now", "k8s", "Delete", "Immediate", b -> b.withAllowedTopologies(onlyK8s2));
        world.storageClass("pinned-later", "k8s", "Delete", "WaitForFirstConsumer", b -> b.withAllowedTopologies(onlyK8s2));
        PersistentVolumeClaim now = world.claim("immediate", "pinned-now", "1Gi", null);
        await().until(() -> world.pvFor(now) != null);
        assertThat(world.pvFor(now).getSpec().getNodeAffinity().getRequired().getNodeSelectorTerms().get(0).getMatchExpressions().get(0)
                .getValues()).containsExactly("k8s-2");
        world.claim("misplaced", "pinned-later", "1Gi", "k8s-1");
        await().until(() -> world.hasEvent("misplaced", "ProvisioningFailed", "allowedTopologies"));
        await().until(() -> !world.annotations("misplaced").containsKey(Names.SELECTED_NODE_ANN));
        assertThat(world.allocatedOn("k8s-1")).isZero();
    }

    @Test
    void aFinalErrorIsAnEventThatKeepsTheSelectedNode() {
        world = ProvisioningWorld.started(disks);
        world.claim("nothing", "k8s-pool-storage", "0", "k8s-1");
        await().until(() -> world.hasEvent("nothing", "ProvisioningFailed", "size must be positive"));
        quietly(() -> world.annotations("nothing").containsKey(Names.SELECTED_NODE_ANN) && world.poolVolumes().isEmpty());
    }

    @Test
    void pvWritesThatFailAreRetriedUntilDone() {
        world = new ProvisioningWorld(disks);
        Faults faults = new Faults(world.cluster.clientAs(TestCluster.Workload.PROVISIONER)).refuse("POST", "/api/v1/persistentvolumes", 2);
        world.startController(faults.client, Clock.systemUTC(), Set.of(Role.PROVISIONER));
        ProvisioningWorld.NODES.forEach(world::startAgent);
        PersistentVolumeClaim c = world.claim("saved-late", "k8s-pool-storage", "1Gi", "k8s-1");
        await().until(() -> world.bound("saved-late"));
        assertThat(faults.pending()).isZero();
        faults.refuse("DELETE", "/api/v1/persistentvolumes/pvc-.*", 2);
        world.deleteClaim("saved-late");
        await().until(() -> world.pvFor(c) == null);
        assertThat(faults.pending()).isZero();
        assertThat(world.poolVolumes()).isEmpty();
    }

    @Test
    void onlyThisProvisionersReleasedDeletePvsAreDeleted() {
        world = new ProvisioningWorld(disks, false);
        pv("ours-released-delete", Names.PROVISIONER, "Delete", "Released");
        pv("ours-released-retain", Names.PROVISIONER, "Retain", "Released");
        pv("ours-bound-delete", Names.PROVISIONER, "Delete", "Bound");
        pv("theirs-released-delete", OTHER, "Delete", "Released");
        world.startController(Clock.systemUTC(), Set.of(Role.PROVISIONER));
        await().until(() -> pvNamed("ours-released-delete") == null);
        quietly(() -> pvNamed("ours-released-retain") != null && pvNamed("ours-bound-delete") != null && pvNamed("theirs-released-delete") != null);
        // ours get the finalizer they lacked; others' never do
        assertThat(pvNamed("ours-released-retain").getMetadata().getFinalizers()).contains(Provisioner.PV_FINALIZER);
        assertThat(pvNamed("ours-bound-delete").getMetadata().getFinalizers()).contains(Provisioner.PV_FINALIZER);
        assertThat(pvNamed("theirs-released-delete").getMetadata().getFinalizers()).doesNotContain(Provisioner.PV_FINALIZER);
    }

    @Test
    void aPvBeingDeletedGetsNoFinalizer() {
        world = new ProvisioningWorld(disks, false);
        pv("going", Names.PROVISIONER, "Retain", "Released");
        world.cluster.client.persistentVolumes().withName("going").edit(p -> {
            p.getMetadata().setFinalizers(List.of("example.com/hold"));
            return p;
        });
        world.cluster.client.persistentVolumes().withName("going").delete();
        assertThat(pvNamed("going").getMetadata().getDeletionTimestamp()).isNotNull();
        world.startController(Clock.systemUTC(), Set.of(Role.PROVISIONER));
        quietly(() -> pvNamed("going").getMetadata().getFinalizers().equals(List.of("example.com/hold")));
    }

    private PersistentVolume pvNamed(String name) {
        return world.cluster.client.persistentVolumes().withName(name).get();
    }

    private void pv(String name, String provisioner, String policy, String phase) {
        world.cluster.client.persistentVolumes().resource(new PersistentVolumeBuilder().withNewMetadata().withName(name)
                .addToAnnotations(Names.PROVISIONED_BY_ANN, provisioner).endMetadata()
                .withNewSpec().addToCapacity("storage", new io.fabric8.kubernetes.api.model.Quantity("1Gi")).withAccessModes("ReadWriteOnce")
                .withPersistentVolumeReclaimPolicy(policy).withStorageClassName("k8s-pool-storage")
                .withNewLocal().withPath("/k8s-storage-pool/" + name).endLocal().endSpec().build()).create();
        world.cluster.client.persistentVolumes().withName(name).editStatus(p -> {
            p.setStatus(new PersistentVolumeStatusBuilder().withPhase(phase).build());
            return p;
        });
    }
}
