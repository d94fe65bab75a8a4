package dsp.core.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dsp.core.DomainException;
import dsp.core.DomainException.Code;
import dsp.core.health.Health;
import dsp.core.port.Authenticator;
import dsp.core.port.Authorizer.Access;
import dsp.core.port.Caller;
import dsp.core.port.StorageCleaner.Item;
import dsp.core.port.StorageCleaner.Outcome;
import dsp.core.port.VmStore;
import dsp.core.vm.VmStatus;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;

/** The value types at the edges of what they accept, and the words they show users. */
class ModelLimitsTest {

    private static final long MAX = Quantity.MAX_BYTES;

    private static void invalid(ThrowingCallable call, String message) {
        assertThatThrownBy(call).isInstanceOf(DomainException.class).hasMessageContaining(message)
                .extracting(e -> ((DomainException) e).code()).isEqualTo(Code.INVALID);
    }

    @Test
    void sizesRunFromOneByteToOneExabyte() {
        assertThat(new Allocation("a", "v", "k8s", "s", 1, "volume", Instant.EPOCH).sizeBytes()).isEqualTo(1);
        assertThat(new Allocation("a", "v", "k8s", "s", MAX, "volume", Instant.EPOCH).sizeBytes()).isEqualTo(MAX);
        invalid(() -> new Allocation("a", "v", "k8s", "s", 0, "volume", Instant.EPOCH), "size must be between 1 byte and 1 EB");
        invalid(() -> new Allocation("a", "v", "k8s", "s", MAX + 1, "volume", Instant.EPOCH), "size must be between 1 byte and 1 EB");

        assertThat(new Server("s", Optional.empty(), Optional.of(1L), Instant.EPOCH).shareOverride()).contains(1L);
        assertThat(new Server("s", Optional.empty(), Optional.of(MAX), Instant.EPOCH).shareOverride()).contains(MAX);
        invalid(() -> new Server("s", Optional.empty(), Optional.of(0L), Instant.EPOCH), "server 's' capacity must be between 1 byte and 1 EB");
        invalid(() -> new Server("s", Optional.empty(), Optional.of(MAX + 1), Instant.EPOCH), "capacity must be between");

        assertThat(pool("p", 1, 1.0).shareBytes()).isEqualTo(1);
        assertThat(pool("p", MAX, 1.0).shareBytes()).isEqualTo(MAX);
        invalid(() -> pool("p", 0, 1.0), "pool 'p' share must be between 1 byte and 1 EB");
        invalid(() -> pool("p", MAX + 1, 1.0), "share must be between");

        assertThat(catalog(0).reserveBytes()).isZero();
        assertThat(catalog(MAX).reserveBytes()).isEqualTo(MAX);
        invalid(() -> catalog(-1), "system reserve must be between 0 and 1 EB");
        invalid(() -> catalog(MAX + 1), "system reserve must be between 0 and 1 EB");
    }

    @Test
    void namesInsideRecordsAreChecked() {
        invalid(() -> new Allocation(" ", "v", "k8s", "s", 1, "volume", Instant.EPOCH), "allocation id is missing");
        invalid(() -> new Allocation(null, "v", "k8s", "s", 1, "volume", Instant.EPOCH), "allocation id is missing");
        invalid(() -> new Allocation("a", "v", "k8s", "s", 1, "vm-disk", Instant.EPOCH, VolumeFormat.QCOW2, Optional.of("Bad"),
                Optional.empty(), VolumePhase.READY), "template name 'Bad' is invalid");
        invalid(() -> new Server("s", Optional.of("Bad"), Optional.empty(), Instant.EPOCH), "pool name 'Bad' is invalid");
        invalid(() -> new PoolDefinition("p", "p", 1, "Bad_Class", "/p", ReclaimPolicy.RETAIN, 1.0), "storage class name 'Bad_Class'");
        assertThat(new PoolDefinition("p", "p", 1, null, "/p", ReclaimPolicy.RETAIN, 1.0).storageClass()).isNull();
    }

    @Test
    void overcommitRunsFromOneToAHundred() {
        assertThat(pool("p", 1, 1.0).overcommit()).isEqualTo(1.0);
        assertThat(pool("p", 1, 100.0).overcommit()).isEqualTo(100.0);
        invalid(() -> pool("p", 1, 0.99), "pool 'p' overcommit 0.99 must be between 1.0 and 100");
        invalid(() -> pool("p", 1, 100.01), "overcommit 100.01 must be between");
        invalid(() -> pool("p", 1, Double.NaN), "overcommit NaN must be between");
    }

    @Test
    void aPoolPathIsOneAbsoluteDirectoryName() {
        PoolDefinition p = new PoolDefinition("backup", "b", 1, null, "/backup-storage-pool", ReclaimPolicy.RETAIN, 1.0);
        assertThat(p.directory()).isEqualTo("backup-storage-pool");
        assertThat(p.statusKey()).isEqualTo("backup_pool");
        assertThat(new PoolDefinition("cold-tier", "c", 1, null, "/c", ReclaimPolicy.RETAIN, 1.0).statusKey()).isEqualTo("cold_tier_pool");
        for (String bad : new String[] {"backup", "/a/b", "/", "/../x", "/..", "/.", "/a b"}) {
            invalid(() -> new PoolDefinition("backup", "b", 1, null, bad, ReclaimPolicy.RETAIN, 1.0), "must be one absolute directory name");
        }
        invalid(() -> new PoolDefinition("backup", "b", 1, null, null, ReclaimPolicy.RETAIN, 1.0), "must be one absolute directory name");
    }

    @Test
    void aCatalogHasDistinctNamesLabelsAndPaths() {
        PoolDefinition a = new PoolDefinition("a", "a", 1, null, "/a", ReclaimPolicy.RETAIN, 1.0);
        invalid(() -> new PoolCatalog(List.of(), 0, Thresholds.GUIDE, PlacementPolicy.LEAST_ALLOCATED), "at least one pool");
        invalid(() -> new PoolCatalog(List.of(a, new PoolDefinition("b", "a", 1, null, "/b", ReclaimPolicy.RETAIN, 1.0)), 0,
                Thresholds.GUIDE, PlacementPolicy.LEAST_ALLOCATED), "label pool=a is used by two pools");
        invalid(() -> new PoolCatalog(List.of(a, new PoolDefinition("b", "b", 1, null, "/a", ReclaimPolicy.RETAIN, 1.0)), 0,
                Thresholds.GUIDE, PlacementPolicy.LEAST_ALLOCATED), "path /a is used by two pools");
        PoolCatalog guide = PoolCatalog.guideDefaults();
        assertThat(guide.byLabel("vm")).contains(guide.require("vm"));
        assertThat(guide.byLabel("backup")).isEmpty();
        assertThatThrownBy(() -> guide.require("backup")).hasMessage("pool 'backup' does not exist; pools are [k8s, vm]")
                .extracting(e -> ((DomainException) e).code()).isEqualTo(Code.NOT_FOUND);
    }

    @Test
    void thresholdsArePositiveOrderedAndBounded() {
        assertThat(new Thresholds(75, 75).criticalPercent()).isEqualTo(75);
        assertThat(new Thresholds(0.01, 1000).criticalPercent()).isEqualTo(1000);
        invalid(() -> new Thresholds(0, 90), "thresholds must satisfy 0 < warning <= critical; got warning 0.0, critical 90.0");
        invalid(() -> new Thresholds(-5, 90), "0 < warning");
        invalid(() -> new Thresholds(90.01, 90), "0 < warning");
        invalid(() -> new Thresholds(75, 1000.01), "0 < warning");
        invalid(() -> new Thresholds(Double.NaN, 90), "0 < warning");
        invalid(() -> new Thresholds(75, Double.NaN), "0 < warning");
    }

    @Test
    void serversBelongToAtMostOnePool() {
        Server s = new Server("s1", Optional.of("k8s"), Optional.empty(), Instant.EPOCH);
        assertThat(s.isIn("k8s")).isTrue();
        assertThat(s.isIn("vm")).isFalse();
        assertThat(s.withPool(Optional.empty()).isIn("k8s")).isFalse();
        assertThat(s.withShareOverride(Optional.of(5L)).shareOverride()).contains(5L);
    }

    @Test
    void quantitiesAtTheirEdges() {
        assertThat(Quantity.fromGb(0)).isZero();
        assertThat(Quantity.fromGb(1e9)).as("1 EB exactly").isEqualTo(MAX);
        invalid(() -> Quantity.fromGb(1e9 + 1), "is larger than 1 EB");
        invalid(() -> Quantity.fromGb(-0.001), "must be a non-negative number");
        invalid(() -> Quantity.fromGb(Double.POSITIVE_INFINITY), "must be a non-negative number");
        assertThat(Quantity.parseBytes("1000P")).isEqualTo(MAX);
        invalid(() -> Quantity.parseBytes("1000.000001P"), "is larger than 1 EB");

        assertThat(Quantity.humanize(999)).isEqualTo("999 B");
        assertThat(Quantity.humanize(1000)).isEqualTo("1 kB");
        assertThat(Quantity.humanize(999_999)).isEqualTo("1000 kB");
        assertThat(Quantity.humanize(1_000_000)).isEqualTo("1 MB");
        assertThat(Quantity.humanize(MAX)).isEqualTo("1 EB");
        assertThat(Quantity.humanize(9 * MAX)).isEqualTo("9 EB");
        assertThat(Quantity.humanize(-1500)).isEqualTo("-1.5 kB");
        assertThat(Quantity.humanize(1_234_567)).isEqualTo("1.23 MB");
    }

    @Test
    void namesAtTheirEdges() {
        String label63 = "a".repeat(63);
        assertThat(Names.isValid(label63)).isTrue();
        assertThat(Names.isValid(label63 + "a")).isFalse();
        assertThat(Names.isValid(null)).isFalse();
        String long81 = "X".repeat(81);
        assertThatThrownBy(() -> Names.require("volume", long81))
                .hasMessageStartingWith("volume name '" + "X".repeat(80) + "...' is invalid");
        String exactly80 = "X".repeat(80);
        assertThatThrownBy(() -> Names.require("volume", exactly80)).hasMessageStartingWith("volume name '" + exactly80 + "' is invalid");
        assertThatThrownBy(() -> Names.require("volume", "a\nb")).hasMessageStartingWith("volume name 'a?b' is invalid");
        assertThatThrownBy(() -> Names.require("volume", "")).hasMessage("volume name is missing");
        assertThatThrownBy(() -> Names.requireServer("Bad\tName")).hasMessageStartingWith("server name 'Bad?Name' is invalid");
    }

    @Test
    void enumsShowAndParseTheirUsersWords() {
        assertThat(ReclaimPolicy.parse("delete")).isEqualTo(ReclaimPolicy.DELETE);
        assertThat(ReclaimPolicy.parse("Retain")).isEqualTo(ReclaimPolicy.RETAIN);
        invalid(() -> ReclaimPolicy.parse("Recycle"), "reclaim policy 'Recycle' is unknown; use Delete or Retain");
        assertThat(ReclaimPolicy.DELETE.display()).isEqualTo("Delete");
        assertThat(ReclaimPolicy.RETAIN.display()).isEqualTo("Retain");

        assertThat(VolumeFormat.parse("qcow2")).isEqualTo(VolumeFormat.QCOW2);
        assertThat(VolumeFormat.parse("raw")).isEqualTo(VolumeFormat.RAW);
        assertThat(VolumeFormat.parse("directory")).isEqualTo(VolumeFormat.DIRECTORY);
        invalid(() -> VolumeFormat.parse("vmdk"), "format 'vmdk' is unknown; use directory, qcow2 or raw");
        assertThat(VolumeFormat.QCOW2.display()).isEqualTo("qcow2");

        assertThat(PlacementPolicy.parse(" Bin_Packing ")).isEqualTo(PlacementPolicy.BIN_PACKING);
        assertThat(PlacementPolicy.parse("spread")).isEqualTo(PlacementPolicy.LEAST_ALLOCATED);
        assertThat(PlacementPolicy.parse("pack")).isEqualTo(PlacementPolicy.BIN_PACKING);
        invalid(() -> PlacementPolicy.parse(null), "placement policy 'null' is unknown");

        assertThat(VolumePhase.RELEASED.display()).isEqualTo("Released");
        assertThat(VolumePhase.DELETING.display()).isEqualTo("Deleting");
        assertThat(VmStatus.CREATING.display()).isEqualTo("creating");
        assertThat(Health.CRITICAL.display()).isEqualTo("critical");
    }

    @Test
    void theWorseHealthWins() {
        assertThat(Health.HEALTHY.worst(Health.WARNING)).isEqualTo(Health.WARNING);
        assertThat(Health.WARNING.worst(Health.HEALTHY)).isEqualTo(Health.WARNING);
        assertThat(Health.CRITICAL.worst(Health.WARNING)).isEqualTo(Health.CRITICAL);
        assertThat(Health.WARNING.worst(Health.WARNING)).isEqualTo(Health.WARNING);
    }

    @Test
    void aVolumeSitsWhereTheLayoutSays() {
        Allocation dir = new Allocation("a", "data", "k8s", "s", 1, "volume", Instant.EPOCH);
        Allocation qcow = new Allocation("b", "vm-1", "vm", "s", 1, "vm-disk", Instant.EPOCH, VolumeFormat.QCOW2, Optional.empty(),
                Optional.empty(), VolumePhase.READY);
        Allocation raw = new Allocation("c", "vm-2", "vm", "s", 1, "vm-disk", Instant.EPOCH, VolumeFormat.RAW, Optional.empty(),
                Optional.empty(), VolumePhase.READY);
        assertThat(VolumeLayout.relativePath(dir)).isEqualTo("data");
        assertThat(VolumeLayout.relativePath(qcow)).isEqualTo("vm-1.qcow2");
        assertThat(VolumeLayout.relativePath(raw)).isEqualTo("vm-2/disk.img");
        assertThat(VolumeLayout.entry(raw)).isEqualTo("vm-2");
        assertThat(VolumeLayout.nodePath("/vm-storage-pool", qcow)).isEqualTo("/vm-storage-pool/vm-1.qcow2");
        assertThat(VolumeLayout.isReserved("templates")).isTrue();
        assertThat(VolumeLayout.isReserved(".trash")).isTrue();
        assertThat(VolumeLayout.isReserved("data")).isFalse();
        assertThat(VolumeLayout.requireVolumeName("data")).isEqualTo("data");
    }

    @Test
    void portsGiveTheirDefaults() {
        Authenticator byName = token -> token.equals("secret") ? Optional.of("alice") : Optional.empty();
        assertThat(byName.caller("secret")).contains(new Caller("alice", Set.of()));
        assertThat(byName.caller("wrong")).isEmpty();

        Access a = Access.of("delete", "vms").in("team-b").named("web");
        assertThat(a).isEqualTo(new Access("delete", "vms", Optional.of("team-b"), Optional.of("web")));

        Item moved = new Item("s", "k8s", "junk", 5, "/t");
        assertThat(Outcome.done("s", true, List.of(moved))).isEqualTo(new Outcome("s", true, Outcome.State.DONE, List.of(moved), Optional.empty()));
        assertThat(Outcome.pending("s", false)).isEqualTo(new Outcome("s", false, Outcome.State.PENDING, List.of(), Optional.empty()));
        assertThat(Outcome.failed("s", false, "why")).isEqualTo(new Outcome("s", false, Outcome.State.FAILED, List.of(), Optional.of("why")));

        VmStore store = new dsp.core.memory.InMemoryVmStore();
        assertThat(store.diskFormat(Optional.empty())).isEqualTo(VolumeFormat.QCOW2);
        assertThat(store.diskFormat(Optional.of(VolumeFormat.RAW))).isEqualTo(VolumeFormat.RAW);

        assertThat(DomainException.storageFailed("x").code()).isEqualTo(Code.STORAGE_FAILED);
        assertThat(DomainException.noSpace("y").code()).isEqualTo(Code.NO_SPACE);
        assertThat(DomainException.noSpace("y")).hasMessage("y");
    }

    private static PoolDefinition pool(String name, long share, double overcommit) {
        return new PoolDefinition(name, name, share, null, "/" + name, ReclaimPolicy.RETAIN, overcommit);
    }

    private static PoolCatalog catalog(long reserve) {
        return new PoolCatalog(List.of(pool("p", 1, 1.0)), reserve, Thresholds.GUIDE, PlacementPolicy.LEAST_ALLOCATED);
    }
}
