package dsp.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dsp.kubernetes.adapter.PoolVolumeStore;
import dsp.kubernetes.controller.ControllerRuntime.Role;
import dsp.kubernetes.controller.Provisioner;
import dsp.kubernetes.crd.PoolVolume;
import io.fabric8.kubernetes.api.model.LabelSelectorBuilder;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.PersistentVolume;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.TypedLocalObjectReferenceBuilder;
import io.fabric8.kubernetes.api.model.TypedObjectReferenceBuilder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The provisioner end to end on the test API server, with real node agents on temporary roots
 * and the fake PV controller: what a claim becomes, what its deletion leaves (nothing that
 * counts unless a Retain policy keeps it, visibly), what it refuses, how it grows.
 */
class ProvisionerTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration QUIET = Duration.ofMillis(800);

    @TempDir
    Path disks;

    private ProvisioningWorld world;

    @AfterEach
    void stop() throws Exception {
        if (world != null) {
            world.close();
        }
    }

    private ProvisioningWorld started() {
        world = ProvisioningWorld.started(disks);
        return world;
    }

    private static JsonNode readTree(String json) {
        try {
            return JSON.readTree(json);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    private String poolStatus() {
        return world.cluster.client.configMaps().inNamespace(Names.NAMESPACE).withName(Names.CONFIG_MAP).get().getData().get(Names.POOL_STATUS_KEY);
    }

    @Test
    void aClaimWithSelectedNodeGetsExactlyOneLocalPvOnThatNode() throws Exception {
        started();
        PersistentVolumeClaim c = world.claim("app-pvc", "k8s-pool-storage", "100Gi", "k8s-1");
        await().until(() -> world.pvFor(c) != null);
        PersistentVolume pv = world.pvFor(c);
        assertThat(pv.getMetadata().getAnnotations()).containsEntry(Names.PROVISIONED_BY_ANN, Names.PROVISIONER);
        assertThat(pv.getMetadata().getFinalizers()).contains(Provisioner.PV_FINALIZER);
        assertThat(pv.getSpec().getCapacity().get("storage")).isEqualTo(new Quantity("100Gi"));
        assertThat(pv.getSpec().getPersistentVolumeReclaimPolicy()).isEqualTo("Delete");
        assertThat(pv.getSpec().getStorageClassName()).isEqualTo("k8s-pool-storage");
        assertThat(pv.getSpec().getLocal().getPath()).isEqualTo("/k8s-storage-pool/pvc-" + c.getMetadata().getUid());
        var term = pv.getSpec().getNodeAffinity().getRequired().getNodeSelectorTerms().get(0).getMatchExpressions().get(0);
        assertThat(term.getKey()).isEqualTo("kubernetes.io/hostname");
        assertThat(term.getValues()).containsExactly("k8s-1");
        assertThat(pv.getSpec().getClaimRef().getUid()).isEqualTo(c.getMetadata().getUid());
        assertThat(world.dir("k8s-1", "k8s", pv.getMetadata().getName())).isDirectory();
        await().until(() -> world.bound("app-pvc"));
        // further events must not make a second volume, and the allocation is named after the claim
        await().during(QUIET).atMost(QUIET.multipliedBy(3)).until(() -> world.cluster.client.persistentVolumes().list().getItems().size() == 1
                && world.poolVolumes().size() == 1);
        assertThat(world.poolVolumes().get(0).getMetadata().getName()).isEqualTo("pvc-" + c.getMetadata().getUid());
        await().until(() -> world.controller.queries().status().pool("k8s").orElseThrow().used() == 107_374_182_400L);

        // what is written there shows up as measured bytes, reported by the node's agent
        Path dir = world.dir("k8s-1", "k8s", pv.getMetadata().getName());
        Files.write(dir.resolve("data.bin"), new byte[8 * 1024 * 1024]);
        await().until(() -> world.controller.queries().status().pool("k8s").orElseThrow().measured() >= 8L * 1024 * 1024);
        await().until(() -> {
            PoolVolume v = world.poolVolumes().get(0);
            return v.getStatus().measuredBytes != null && v.getStatus().measuredBytes >= 8L * 1024 * 1024;
        });
        await().until(() -> readTree(poolStatus()).at("/k8s_pool/measured_used_gb").asDouble() >= 0.01);
    }

    @Test
    void aFullNodeOrANodeOutsideThePoolSendsTheClaimBackToTheScheduler() throws Exception {
        started();
        Conflicts.retry(() -> world.cluster.client.nodes().withName("k8s-2").edit(n -> {
            var ann = new HashMap<>(n.getMetadata().getAnnotations() == null ? Map.<String, String>of() : n.getMetadata().getAnnotations());
            ann.put(Names.SHARE_ANNOTATION, "50G");
            n.getMetadata().setAnnotations(ann);
            return n;
        }));
        await().until(() -> world.controller.queries().ledger().server("k8s-2").map(s -> s.shareOverride().isPresent()).orElse(false));
        PersistentVolumeClaim full = world.claim("too-big", "k8s-pool-storage", "100Gi", "k8s-2");
        PersistentVolumeClaim outside = world.claim("wrong-pool", "k8s-pool-storage", "10Gi", "vm-1");
        PersistentVolumeClaim unknown = world.claim("no-such-node", "k8s-pool-storage", "10Gi", "k8s-9");
        for (String name : List.of("too-big", "wrong-pool", "no-such-node")) {
            await().until(() -> !world.annotations(name).containsKey(Names.SELECTED_NODE_ANN));
            await().until(() -> world.hasEvent(name, "ProvisioningFailed", "pick another node"));
        }
        assertThat(world.pvFor(full)).isNull();
        assertThat(world.pvFor(outside)).isNull();
        assertThat(world.pvFor(unknown)).isNull();
        assertThat(world.poolVolumes()).isEmpty();
        // the scheduler picks again: now it fits
        world.selectNode("too-big", "k8s-1");
        await().until(() -> world.pvFor(full) != null);
    }

    @Test
    void releasedDeleteRemovesTheDirectoryAndRetainKeepsIt() throws Exception {
        started();
        PersistentVolumeClaim del = world.claim("scratch", "k8s-pool-storage", "1Gi", "k8s-1");
        PersistentVolumeClaim keep = world.claim("vm-images", "vm-pool-storage", "1Gi", "vm-1");
        await().until(() -> world.bound("scratch") && world.bound("vm-images"));
        Path delDir = world.dir("k8s-1", "k8s", "pvc-" + del.getMetadata().getUid());
        Path keepDir = world.dir("vm-1", "vm", "pvc-" + keep.getMetadata().getUid());
        Files.writeString(delDir.resolve("data.txt"), "scratch");
        Files.writeString(keepDir.resolve("image.txt"), "precious");

        world.deleteClaim("scratch");
        world.deleteClaim("vm-images");
        await().until(() -> world.pvFor(del) == null);
        assertThat(delDir).doesNotExist();
        await().until(() -> "Released".equals(world.phaseOf(world.pvFor(keep))));
        await().during(QUIET).atMost(QUIET.multipliedBy(3)).until(() -> world.pvFor(keep) != null);
        assertThat(keepDir.resolve("image.txt")).hasContent("precious");
        assertThat(world.poolVolumes()).singleElement().satisfies(v -> {
            assertThat(v.getSpec().released).isTrue();
            assertThat(v.getSpec().owner).isEqualTo("PersistentVolume pvc-" + keep.getMetadata().getUid());
        });
        await().until(() -> world.allocatedOn("k8s-1") == 0);
    }

    @Test
    void aNodeLeavingThePoolStrandsItsVolumesWithoutTouchingThem() throws Exception {
        started();
        PersistentVolumeClaim c = world.claim("db", "k8s-pool-storage", "10Gi", "k8s-1");
        await().until(() -> world.pvFor(c) != null);
        Path dir = world.dir("k8s-1", "k8s", "pvc-" + c.getMetadata().getUid());
        Files.writeString(dir.resolve("table"), "rows");
        world.cluster.label("k8s-1", null);
        await().until(() -> world.controller.queries().status().pool("k8s").orElseThrow().strandedVolumes() == 1);
        await().until(() -> world.cluster.client.v1().events().inAnyNamespace().list().getItems().stream()
                .anyMatch(e -> e.getReason().equals("VolumesStranded")));
        assertThat(dir.resolve("table")).hasContent("rows");
        assertThat(world.pvFor(c)).isNotNull();
        assertThat(world.poolVolumes()).hasSize(1);
        await().until(() -> readTree(poolStatus()).at("/k8s_pool/stranded_volumes").asInt() == 1);
    }

    @Test
    void aBoundClaimGrowsWithinItsNodeAndNeverBeyond() throws Exception {
        started();
        PersistentVolumeClaim c = world.claim("grow-me", "k8s-pool-storage", "100Gi", "k8s-1");
        await().until(() -> world.bound("grow-me"));
        resize("grow-me", "200Gi");
        await().until(() -> new Quantity("200Gi").equals(world.pvFor(c).getSpec().getCapacity().get("storage")));
        await().until(() -> new Quantity("200Gi").equals(world.claimNow("grow-me").getStatus().getCapacity().get("storage")));
        assertThat(world.allocatedOn("k8s-1")).isEqualTo(214_748_364_800L);
        await().until(() -> world.hasEvent("grow-me", "VolumeResizeSuccessful", "200Gi"));
        resize("grow-me", "2Ti"); // more than the node's 1.5 TB share
        await().until(() -> world.hasEvent("grow-me", "VolumeResizeFailed", "k8s-1"));
        assertThat(world.pvFor(c).getSpec().getCapacity().get("storage")).isEqualTo(new Quantity("200Gi"));
        assertThat(world.allocatedOn("k8s-1")).isEqualTo(214_748_364_800L);
    }

    /**
     * The claim's status is written last, after ledger, PoolVolume and PV, and a failure at that
     * step (a 403 for want of {@code persistentvolumeclaims/status}, an outage) is retried until
     * it is written: the claim never stays at its old size while the PV shows the new one. A PV
     * write that stalls and fails leaves the claim at its old size until the retry grew the PV.
     */
    @Test
    void anExpansionThatFailsHalfwayIsRetriedUntilTheClaimShowsItLast() throws Exception {
        world = new ProvisioningWorld(disks);
        Faults faults = new Faults(world.cluster.clientAs(TestCluster.Workload.PROVISIONER));
        world.startController(faults.client, Clock.systemUTC(), Set.of(Role.PROVISIONER, Role.SCALING));
        ProvisioningWorld.NODES.forEach(world::startAgent);
        PersistentVolumeClaim c = world.claim("grow-me", "k8s-pool-storage", "10Gi", "k8s-1");
        await().until(() -> world.bound("grow-me"));
        faults.refuse("PUT", ".*/persistentvolumeclaims/grow-me/status", 2).refuse("PATCH", ".*/persistentvolumeclaims/grow-me/status", 2);
        resize("grow-me", "20Gi");
        await().until(() -> new Quantity("20Gi").equals(world.pvFor(c).getSpec().getCapacity().get("storage")));
        await().until(() -> new Quantity("20Gi").equals(world.claimNow("grow-me").getStatus().getCapacity().get("storage")));
        assertThat(faults.pending()).as("the status write failed before it succeeded").isLessThan(4);
        assertThat(world.allocatedOn("k8s-1")).isEqualTo(21_474_836_480L);
        assertThat(world.poolVolume("pvc-" + c.getMetadata().getUid()).orElseThrow().getSpec().sizeBytes).isEqualTo(21_474_836_480L);
        await().until(() -> world.hasEvent("grow-me", "VolumeResizeSuccessful", "20Gi"));

        // the PV's write stalls: ledger and PoolVolume have grown, the claim does not show the size before its PV does
        String pvName = "pvc-" + c.getMetadata().getUid();
        try (Faults.Hold pvWrite = faults.hold("PUT|PATCH", "/api/v1/persistentvolumes/" + pvName)) {
            resize("grow-me", "30Gi");
            await().until(pvWrite::holding);
            await().until(() -> world.poolVolume(pvName).orElseThrow().getSpec().sizeBytes == 32_212_254_720L);
            assertThat(world.allocatedOn("k8s-1")).isEqualTo(32_212_254_720L);
            await().during(QUIET).atMost(QUIET.multipliedBy(3)).until(() -> pvWrite.holding()
                    && new Quantity("20Gi").equals(world.claimNow("grow-me").getStatus().getCapacity().get("storage"))
                    && new Quantity("20Gi").equals(world.pvFor(c).getSpec().getCapacity().get("storage")));
            pvWrite.release(); // that write fails; the retry grows the PV, then the claim
        }
        await().until(() -> new Quantity("30Gi").equals(world.claimNow("grow-me").getStatus().getCapacity().get("storage")));
        assertThat(world.pvFor(c).getSpec().getCapacity().get("storage")).isEqualTo(new Quantity("30Gi"));
        assertThat(world.allocatedOn("k8s-1")).as("grown once, however often it was retried").isEqualTo(32_212_254_720L);
    }

    private void resize(String claim, String size) {
        Conflicts.retry(() -> world.cluster.client.persistentVolumeClaims().inNamespace("default").withName(claim).edit(p -> {
            p.getSpec().getResources().getRequests().put("storage", new Quantity(size));
            return p;
        }));
    }

    @Test
    void aBurstOfClaimsForOneNodeNeverOversellsIt() throws Exception {
        started();
        List<PersistentVolumeClaim> claims = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            claims.add(world.claim("burst-" + i, "k8s-pool-storage", "100Gi", "k8s-1"));
        }
        // 1.5 TB / 100 GiB: 13 fit on k8s-1, the other 7 go back to the scheduler
        await().until(() -> claims.stream().filter(c -> world.pvFor(c) != null).count() == 13
                && claims.stream().filter(c -> !world.annotations(c.getMetadata().getName()).containsKey(Names.SELECTED_NODE_ANN)).count() == 7);
        assertThat(world.allocatedOn("k8s-1")).isLessThanOrEqualTo(1_500_000_000_000L).isEqualTo(13 * 107_374_182_400L);
    }

    // ---------------------------------------------------------------- nothing leaks

    /** A claim deleted before its PV exists: its PoolVolume goes, with its directory, and the node's capacity comes back. */
    @Test
    void aClaimDeletedBeforeItsPvExistsLeavesNothingBehind() throws Exception {
        world = new ProvisioningWorld(disks);
        world.startController(Clock.systemUTC(), Set.of(Role.PROVISIONER, Role.SCALING));
        world.startAgent("k8s-1"); // k8s-2's agent is late: its volume stays Pending, so no PV can exist yet
        PersistentVolumeClaim c = world.claim("short-lived", "k8s-pool-storage", "10Gi", "k8s-2");
        String name = "pvc-" + c.getMetadata().getUid();
        await().until(() -> world.poolVolume(name).isPresent());
        await().until(() -> world.allocatedOn("k8s-2") == 10_737_418_240L);
        world.deleteClaim("short-lived");
        await().until(() -> world.poolVolume(name).map(v -> v.getMetadata().getDeletionTimestamp() != null).orElse(true));
        world.startAgent("k8s-2");
        await().until(() -> world.poolVolume(name).isEmpty());
        await().until(() -> world.allocatedOn("k8s-2") == 0);
        assertThat(world.dir("k8s-2", "k8s", name)).doesNotExist();
        assertThat(world.cluster.client.persistentVolumes().list().getItems()).isEmpty();
    }

    /**
     * Handing a claim back to the scheduler whose answer was lost: the selected-node annotation is gone
     * on the server, so the retry sees a claim waiting for the scheduler and does nothing. The user
     * must still be told why (a run at load 13 lost a timed-out answer this way and the Event never came).
     */
    @Test
    void aClaimHandedBackToTheSchedulerWhoseAnswerWasLostStillSaysWhy() throws Exception {
        world = new ProvisioningWorld(disks);
        Faults faults = new Faults(world.cluster.clientAs(TestCluster.Workload.PROVISIONER))
                .loseAnswer("PATCH", ".*/persistentvolumeclaims/wrong-pool", 1);
        world.startController(faults.client, Clock.systemUTC(), Set.of(Role.PROVISIONER, Role.SCALING));
        ProvisioningWorld.NODES.forEach(world::startAgent);
        world.claim("wrong-pool", "k8s-pool-storage", "10Gi", "vm-1");
        await().until(() -> faults.pending() == 0 && !world.annotations("wrong-pool").containsKey(Names.SELECTED_NODE_ANN));
        await().until(() -> world.hasEvent("wrong-pool", "ProvisioningFailed", "pick another node"));
        assertThat(world.poolVolumes()).isEmpty();
    }

    /**
     * The PoolVolume's create reached the API server but its answer was lost: the retry finds the
     * object of the same name (named after the claim) and goes on with it; a second one is never made.
     */
    @Test
    void aCreateWhoseAnswerWasLostIsNeverMadeTwice() throws Exception {
        world = new ProvisioningWorld(disks);
        Faults faults = new Faults(world.cluster.clientAs(TestCluster.Workload.PROVISIONER)).loseAnswer("POST", ".*/poolvolumes", 1);
        world.startController(faults.client, Clock.systemUTC(), Set.of(Role.PROVISIONER, Role.SCALING));
        ProvisioningWorld.NODES.forEach(world::startAgent);
        PersistentVolumeClaim c = world.claim("once", "k8s-pool-storage", "10Gi", "k8s-1");
        await().until(() -> world.bound("once"));
        assertThat(faults.pending()).isZero();
        await().during(QUIET).atMost(QUIET.multipliedBy(3)).until(() -> world.poolVolumes().size() == 1);
        assertThat(world.poolVolumes().get(0).getMetadata().getName()).isEqualTo("pvc-" + c.getMetadata().getUid());
        assertThat(world.annotations("once")).containsEntry(Names.SELECTED_NODE_ANN, "k8s-1");
        assertThat(world.allocatedOn("k8s-1")).isEqualTo(10_737_418_240L);
    }

    /**
     * Admission holds no lock across an API call: a claim is admitted in memory (counted at once),
     * then its PoolVolume is written. While that write stalls, other claims are admitted and
     * provisioned; when it fails, the admission is undone and retried, and the claim gets its
     * volume once.
     */
    @Test
    void aStalledVolumeWriteHoldsUpNoOtherClaimAndWhenItFailsItIsUndoneAndRetried() throws Exception {
        world = new ProvisioningWorld(disks);
        Faults faults = new Faults(world.cluster.clientAs(TestCluster.Workload.PROVISIONER));
        try (Faults.Hold stalled = faults.hold("POST", ".*/poolvolumes")) {
            world.startController(faults.client, Clock.systemUTC(), Set.of(Role.PROVISIONER, Role.SCALING));
            ProvisioningWorld.NODES.forEach(world::startAgent);
            PersistentVolumeClaim slow = world.claim("slow", "k8s-pool-storage", "10Gi", "k8s-1");
            await().until(stalled::holding);
            assertThat(world.allocatedOn("k8s-1")).as("admitted in memory before the write").isEqualTo(10_737_418_240L);
            PersistentVolumeClaim quick = world.claim("quick", "k8s-pool-storage", "20Gi", "k8s-1");
            await().until(() -> world.bound("quick"));
            assertThat(stalled.holding()).isTrue();
            assertThat(world.pvFor(slow)).isNull();
            stalled.release(); // the write fails: nothing was written, the admission is undone, then retried
            await().until(() -> world.bound("slow"));
            await().during(QUIET).atMost(QUIET.multipliedBy(3)).until(() -> world.poolVolumes().size() == 2
                    && world.allocatedOn("k8s-1") == 32_212_254_720L);
            assertThat(world.poolVolumes()).extracting(v -> v.getMetadata().getName())
                    .containsExactlyInAnyOrder("pvc-" + slow.getMetadata().getUid(), "pvc-" + quick.getMetadata().getUid());
        }
    }

    /**
     * A claim whose volume is ready becomes a PV before claims not yet admitted are looked at: with
     * every worker waiting on the API server, 30 claims queued for admission and the ready volume
     * queued last, the workers let go and every admission's write stalling from then on, the PV
     * still comes: a free worker took the ready volume first (completions are served first).
     * Served in arrival order, every worker would be stuck on an admission and the PV would never come.
     */
    @Test
    void aReadyVolumeGetsItsPvBeforeClaimsWaitingForAdmission() throws Exception {
        world = new ProvisioningWorld(disks);
        Duration setup = Duration.ofMinutes(2); // 34 claims on a loaded 2-core machine: waits for the world, not for what is measured
        Faults faults = new Faults(world.cluster.clientAs(TestCluster.Workload.PROVISIONER));
        world.startController(faults.client, Clock.systemUTC(), Set.of(Role.PROVISIONER));
        var provisioner = world.controller.runtime(TestCluster.Workload.PROVISIONER);
        PersistentVolumeClaim ready = world.claim("ready", "k8s-pool-storage", "1Gi", "k8s-1");
        String readyName = "pvc-" + ready.getMetadata().getUid();
        await().atMost(setup).until(() -> world.poolVolume(readyName).isPresent()); // no agent on k8s-1 yet: it stays Pending
        List<Faults.Hold> holds = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            holds.add(faults.hold("POST", ".*/poolvolumes"));
            world.claim("held-" + i, "k8s-pool-storage", "1Gi", "k8s-2");
        }
        await().atMost(setup).until(() -> holds.stream().allMatch(Faults.Hold::holding)); // every worker waits on the API server
        List<PersistentVolumeClaim> waiting = new ArrayList<>();
        for (int i = 0; i < 30; i++) {
            waiting.add(world.claim("waiting-" + i, "k8s-pool-storage", "1Gi", "k8s-2"));
        }
        await().atMost(setup).until(() -> provisioner.provisionerBacklog().get("admissions") == 30);
        try (Faults.Hold admissionWrites = faults.holdEvery("POST", ".*/poolvolumes")) {
            world.startAgent("k8s-1");
            // the provisioner has seen it Ready (its completion is queued with that): the only completion there is
            await().atMost(setup).until(() -> provisioner.store().object(readyName).map(v -> v.getStatus() != null && "Ready".equals(v.getStatus().phase))
                    .orElse(false) && provisioner.provisionerBacklog().get("completions") == 1);
            holds.forEach(Faults.Hold::release);
            await().atMost(setup).until(() -> world.pvFor(ready) != null);
            assertThat(waiting).noneMatch(c -> world.poolVolume("pvc-" + c.getMetadata().getUid()).isPresent());
        }
        // the stalled writes failed (nothing written) and are retried: every waiting claim is admitted in the end
        await().atMost(setup).until(() -> waiting.stream().allMatch(c -> world.poolVolume("pvc-" + c.getMetadata().getUid()).isPresent()));
        holds.forEach(Faults.Hold::close);
    }

    /**
     * Volumes whose claim went away while no provisioner ran (its PoolVolume written, the claim
     * deleted before any PV) are collected when a provisioner starts, without any event about
     * them; a volume whose claim is still there gets its PV.
     */
    @Test
    void volumesWhoseClaimWentAwayWhileNoProvisionerRanAreCollectedAtStart() throws Exception {
        world = new ProvisioningWorld(disks);
        PersistentVolumeClaim kept = world.claim("kept", "k8s-pool-storage", "1Gi", "k8s-1");
        world.cluster.client.resources(PoolVolume.class).resource(claimVolume(kept.getMetadata().getUid(), "kept", 1_073_741_824L)).create();
        String orphan = "pvc-" + java.util.UUID.randomUUID();
        world.cluster.client.resources(PoolVolume.class).resource(claimVolume(orphan.substring(4), "gone", 10_737_418_240L)).create();
        world.startController(Clock.systemUTC(), Set.of(Role.PROVISIONER, Role.SCALING));
        // no agent runs yet: nothing about the orphan changes but what the provisioner does to it
        await().until(() -> world.poolVolume(orphan).map(v -> v.getMetadata().getDeletionTimestamp() != null).orElse(true));
        world.startAgent("k8s-1");
        await().until(() -> world.poolVolume(orphan).isEmpty());
        await().until(() -> world.bound("kept"));
        await().until(() -> world.allocatedOn("k8s-1") == 1_073_741_824L);
        assertThat(world.dir("k8s-1", "k8s", orphan)).doesNotExist();
    }

    /** The PoolVolume the provisioner writes for a claim (as an earlier run of it would have). */
    private static PoolVolume claimVolume(String claimUid, String claimName, long bytes) {
        String name = "pvc-" + claimUid;
        return PoolVolumeStore.toObject(new dsp.core.model.Allocation(name, name, "k8s", "k8s-1", bytes, PoolVolumeStore.CLAIM_KIND,
                Instant.now(), dsp.core.model.VolumeFormat.DIRECTORY, java.util.Optional.empty(),
                java.util.Optional.of(new PoolVolumeStore.ClaimOwner("default", claimName).owner()), dsp.core.model.VolumePhase.PENDING));
    }

    /**
     * A Delete PV deleted by hand while its claim still uses it stays (the finalizers hold it);
     * once the claim goes, the data goes first and the PV after it.
     */
    @Test
    void aBoundPvDeletedByHandKeepsItsDataUntilItsClaimGoes() throws Exception {
        started();
        PersistentVolumeClaim c = world.claim("in-use", "k8s-pool-storage", "1Gi", "k8s-1");
        await().until(() -> world.bound("in-use"));
        String name = "pvc-" + c.getMetadata().getUid();
        Files.writeString(world.dir("k8s-1", "k8s", name).resolve("data"), "live");
        world.cluster.client.persistentVolumes().withName(name).delete();
        await().during(QUIET).atMost(QUIET.multipliedBy(3)).until(() -> world.pvFor(c) != null
                && world.pvFor(c).getMetadata().getDeletionTimestamp() != null
                && Files.exists(world.dir("k8s-1", "k8s", name).resolve("data")));
        assertThat(world.pvFor(c).getMetadata().getFinalizers()).contains(Provisioner.PV_FINALIZER);
        world.deleteClaim("in-use");
        await().until(() -> world.pvFor(c) == null);
        assertThat(world.dir("k8s-1", "k8s", name)).doesNotExist();
        assertThat(world.poolVolumes()).isEmpty();
        await().until(() -> world.allocatedOn("k8s-1") == 0);
    }

    /**
     * VM disks whose VM is gone (a create that crashed between the disk and the VM, a namespace
     * deleted): after a grace period the pool's reclaim policy applies. The vm pool retains: the
     * disk is kept as a released volume. A disk whose VM exists is left alone.
     */
    @Test
    void aVmDiskWhoseVmIsGoneFollowsThePoolsReclaimPolicy() throws Exception {
        world = new ProvisioningWorld(disks);
        Instant made = Instant.now();
        vmDisk("vm-orphan-disk", "vm-0rphan", made);
        vmDisk("vm-alive-disk", "vm-a1ive", made);
        var vm = new dsp.kubernetes.crd.PoolVirtualMachine();
        vm.setMetadata(new ObjectMetaBuilder().withName("alive").withNamespace("default").build());
        vm.setSpec(new dsp.kubernetes.crd.PoolVirtualMachine.Spec());
        vm.getSpec().id = "vm-a1ive";
        vm.getSpec().diskVolume = "vm-alive-disk";
        world.cluster.client.resources(dsp.kubernetes.crd.PoolVirtualMachine.class).inNamespace("default").resource(vm).create();
        // the controller's clock is past the grace period
        world.startController(Clock.offset(Clock.systemUTC(), Duration.ofMinutes(11)), Set.of(Role.PROVISIONER, Role.SCALING));
        world.startAgent("vm-1");
        await().until(() -> world.poolVolume("vm-orphan-disk").map(v -> Boolean.TRUE.equals(v.getSpec().released) && v.getSpec().owner == null)
                .orElse(false));
        assertThat(world.poolVolume("vm-alive-disk").orElseThrow().getSpec().released).isNull();
        assertThat(world.poolVolume("vm-alive-disk").orElseThrow().getSpec().owner).isEqualTo("vm-a1ive");
        assertThat(world.allocatedOn("vm-1")).isEqualTo(2 * 10_000_000_000L);
    }

    private void vmDisk(String name, String vmId, Instant made) {
        PoolVolume v = new PoolVolume();
        v.setMetadata(new ObjectMetaBuilder().withName(name).addToLabels(Names.NODE_LABEL, "vm-1").addToLabels(Names.POOL_NAME_LABEL, "vm")
                .addToFinalizers(Names.DATA_FINALIZER).build());
        PoolVolume.Spec s = new PoolVolume.Spec();
        s.name = name;
        s.pool = "vm";
        s.node = "vm-1";
        s.sizeBytes = 10_000_000_000L;
        s.format = "raw";
        s.kind = "vm-disk";
        s.owner = vmId;
        s.createdAt = made.toString();
        v.setSpec(s);
        world.cluster.client.resources(PoolVolume.class).resource(v).create();
    }

    // ---------------------------------------------------------------- what a directory cannot be

    /**
     * Claims a directory volume cannot serve are refused with a Warning Event saying why, stay
     * Pending (nothing allocated, the scheduler's node kept) and are told once, not on every update.
     */
    @Test
    void claimsADirectoryCannotServeAreRefusedWithAnEventAndStayPending() throws Exception {
        started();
        Map<String, String> expected = new java.util.LinkedHashMap<>();
        world.claim("block", "k8s-pool-storage", "1Gi", "k8s-1", b -> b.editSpec().withVolumeMode("Block").endSpec());
        expected.put("block", "block volume");
        world.claim("rwx", "k8s-pool-storage", "1Gi", "k8s-1", b -> b.editSpec().withAccessModes("ReadWriteMany").endSpec());
        expected.put("rwx", "access mode ReadWriteMany");
        world.claim("rox", "k8s-pool-storage", "1Gi", "k8s-1", b -> b.editSpec().withAccessModes("ReadWriteOnce", "ReadOnlyMany").endSpec());
        expected.put("rox", "access mode ReadOnlyMany");
        world.claim("rwop", "k8s-pool-storage", "1Gi", "k8s-1", b -> b.editSpec().withAccessModes("ReadWriteOncePod").endSpec());
        expected.put("rwop", "ReadWriteOncePod");
        world.claim("clone", "k8s-pool-storage", "1Gi", "k8s-1", b -> b.editSpec().withDataSource(new TypedLocalObjectReferenceBuilder()
                .withKind("PersistentVolumeClaim").withName("app-pvc").build()).endSpec());
        expected.put("clone", "data source (PersistentVolumeClaim app-pvc)");
        world.claim("populated", "k8s-pool-storage", "1Gi", "k8s-1", b -> b.editSpec().withDataSourceRef(new TypedObjectReferenceBuilder()
                .withApiGroup("snapshot.storage.k8s.io").withKind("VolumeSnapshot").withName("nightly").build()).endSpec());
        expected.put("populated", "data source (VolumeSnapshot nightly)");
        world.claim("picky", "k8s-pool-storage", "1Gi", "k8s-1", b -> b.editSpec().withSelector(new LabelSelectorBuilder()
                .addToMatchLabels("tier", "gold").build()).endSpec());
        expected.put("picky", "selector");
        PersistentVolumeClaim fine = world.claim("fine", "k8s-pool-storage", "1Gi", "k8s-1");
        await().until(() -> world.pvFor(fine) != null);
        for (var e : expected.entrySet()) {
            await().until(() -> world.hasEvent(e.getKey(), "ProvisioningFailed", e.getValue()));
        }
        // an update of the claim does not repeat the refusal
        Conflicts.retry(() -> world.cluster.client.persistentVolumeClaims().inNamespace("default").withName("block").edit(p -> {
            p.getMetadata().getAnnotations().put("touched", "yes");
            return p;
        }));
        await().during(QUIET).atMost(QUIET.multipliedBy(3)).until(() -> world.poolVolumes().size() == 1
                && world.eventsAbout("block").size() == 1);
        for (String name : expected.keySet()) {
            assertThat(world.claimNow(name).getSpec().getVolumeName()).as(name).isNull();
            assertThat(world.annotations(name)).as(name).containsEntry(Names.SELECTED_NODE_ANN, "k8s-1");
        }
        assertThat(world.cluster.client.persistentVolumes().list().getItems()).hasSize(1);
        assertThat(world.allocatedOn("k8s-1")).isEqualTo(1_073_741_824L);
        assertThat(PoolVolumeStore.CLAIM_KIND).isEqualTo(world.poolVolumes().get(0).getSpec().kind);
    }
}
