package dsp.store.sqlite;

import static org.assertj.core.api.Assertions.assertThat;

import dsp.core.model.Allocation;
import dsp.core.model.Server;
import java.nio.file.Path;
import java.sql.ResultSet;
import java.time.Instant;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SqliteStoreTest {

    @TempDir
    Path dir;

    @Test
    void serversAndAllocationsSurviveAReopen() {
        Path file = dir.resolve("state/pools.db");
        Instant t = Instant.parse("2026-11-25T10:15:30Z");
        try (SqliteDatabase db = SqliteDatabase.open(file)) {
            SqliteServerInventory servers = new SqliteServerInventory(db);
            SqliteAllocationStore allocations = new SqliteAllocationStore(db);
            servers.saveServer(new Server("k8s-1", Optional.of("k8s"), Optional.empty(), t));
            servers.saveServer(new Server("vm-1", Optional.of("vm"), Optional.of(4_000_000_000_000L), t));
            servers.saveServer(new Server("k8s-1", Optional.empty(), Optional.empty(), t));
            allocations.addAllocation(new Allocation("a1", "data", "k8s", "k8s-1", 100, "volume", t));
            allocations.addAllocation(new Allocation("a2", "disk", "vm", "vm-1", 200, "vm-disk", t));
            allocations.updateAllocation(new Allocation("a2", "disk", "vm", "vm-1", 300, "vm-disk", t));
            allocations.removeAllocation("a1");
        }
        try (SqliteDatabase db = SqliteDatabase.open(file)) {
            SqliteServerInventory servers = new SqliteServerInventory(db);
            SqliteAllocationStore allocations = new SqliteAllocationStore(db);
            assertThat(servers.listServers()).containsExactly(
                    new Server("k8s-1", Optional.empty(), Optional.empty(), t),
                    new Server("vm-1", Optional.of("vm"), Optional.of(4_000_000_000_000L), t));
            assertThat(allocations.listAllocations()).containsExactly(
                    new Allocation("a2", "disk", "vm", "vm-1", 300, "vm-disk", t));
            assertThat(allocations.findAllocation("a1")).isEmpty();
            servers.deleteServer("vm-1");
            assertThat(servers.findServer("vm-1")).isEmpty();
        }
    }

    @Test
    void vmsAndVolumeDetailsRoundTrip() {
        Instant t = Instant.parse("2026-11-25T10:15:30Z");
        try (SqliteDatabase db = SqliteDatabase.open(dir.resolve("pools.db"))) {
            SqliteAllocationStore allocations = new SqliteAllocationStore(db);
            SqliteVmStore vms = new SqliteVmStore(db);
            Allocation disk = new Allocation("d1", "vm-1", "vm", "vm-server-1", 50_000_000_000L, "vm-disk", t,
                    dsp.core.model.VolumeFormat.QCOW2, Optional.of("ubuntu22"), Optional.of("vm-1"), dsp.core.model.VolumePhase.PENDING);
            allocations.addAllocation(disk);
            allocations.updateAllocation(disk.withPhase(dsp.core.model.VolumePhase.READY));
            assertThat(allocations.findAllocation("d1")).contains(disk.withPhase(dsp.core.model.VolumePhase.READY));
            var vm = new dsp.core.vm.VirtualMachine("vm-1", "test-vm", "default", "ubuntu22", Optional.of("cx21"), 2, 4, "d1",
                    dsp.core.vm.VmStatus.CREATING, t);
            vms.addVm(vm);
            vms.updateVm(vm.withStatus(dsp.core.vm.VmStatus.STOPPED));
            assertThat(vms.findVm("vm-1")).contains(vm.withStatus(dsp.core.vm.VmStatus.STOPPED));
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> vms.addVm(new dsp.core.vm.VirtualMachine("vm-2", "test-vm",
                            "default", "ubuntu22", Optional.empty(), 1, 1, "d2", dsp.core.vm.VmStatus.CREATING, t)))
                    .hasMessageContaining("already exists");
            // the insert that failed on UNIQUE is kept (prepared once): the next one writes its own values
            var other = new dsp.core.vm.VirtualMachine("vm-3", "other-vm", "team-a", "debian12", Optional.empty(), 1, 2, "d3",
                    dsp.core.vm.VmStatus.CREATING, t);
            vms.addVm(other);
            assertThat(vms.findVm("vm-3")).contains(other);
            vms.removeVm("vm-1");
            vms.removeVm("vm-3");
            assertThat(vms.listVms()).isEmpty();
        }
    }

    @Test
    void vmsAreListedByNamespaceThenNameAndServersAreFoundByName() {
        Instant t = Instant.parse("2026-11-25T10:15:30Z");
        try (SqliteDatabase db = SqliteDatabase.open(dir.resolve("pools.db"))) {
            SqliteVmStore vms = new SqliteVmStore(db);
            var web = new dsp.core.vm.VirtualMachine("vm-1", "web", "team-b", "ubuntu22", Optional.empty(), 2, 4, "d1",
                    dsp.core.vm.VmStatus.STOPPED, t);
            var db1 = new dsp.core.vm.VirtualMachine("vm-2", "db", "team-b", "ubuntu22", Optional.of("cx21"), 2, 4, "d2",
                    dsp.core.vm.VmStatus.STOPPED, t);
            var api = new dsp.core.vm.VirtualMachine("vm-3", "api", "team-a", "ubuntu22", Optional.empty(), 1, 2, "d3",
                    dsp.core.vm.VmStatus.CREATING, t);
            vms.addVm(web);
            vms.addVm(db1);
            vms.addVm(api);
            assertThat(vms.listVms()).containsExactly(api, db1, web);
            assertThat(vms.findVm("vm-2")).contains(db1);
            assertThat(vms.findVm("vm-9")).isEmpty();

            SqliteServerInventory servers = new SqliteServerInventory(db);
            Server k8s = new Server("k8s-1", Optional.of("k8s"), Optional.empty(), t);
            Server vm = new Server("vm-1", Optional.of("vm"), Optional.of(4_000_000_000_000L), t);
            servers.saveServer(k8s);
            servers.saveServer(vm);
            assertThat(servers.findServer("vm-1")).contains(vm);
            assertThat(servers.findServer("k8s-1")).contains(k8s);
            assertThat(servers.findServer("k8s-2")).isEmpty();
        }
    }

    @Test
    void usesWalAndRecordsMigrations() {
        try (SqliteDatabase db = SqliteDatabase.open(dir.resolve("pools.db"))) {
            String mode = db.transaction(c -> {
                try (ResultSet rs = c.createStatement().executeQuery("PRAGMA journal_mode")) {
                    rs.next();
                    return rs.getString(1);
                }
            });
            assertThat(mode).isEqualToIgnoringCase("wal");
            int migrations = db.transaction(c -> {
                try (ResultSet rs = c.createStatement().executeQuery("SELECT count(*) FROM flyway_schema_history WHERE success = 1")) {
                    rs.next();
                    return rs.getInt(1);
                }
            });
            assertThat(migrations).isGreaterThanOrEqualTo(2);
        }
    }

    @Test
    void aFailedTransactionStoresNothing() {
        try (SqliteDatabase db = SqliteDatabase.open(dir.resolve("pools.db"))) {
            SqliteServerInventory servers = new SqliteServerInventory(db);
            try {
                db.transaction(c -> {
                    c.createStatement().executeUpdate("INSERT INTO servers (name, created_at) VALUES ('x', '2026-01-01T00:00:00Z')");
                    throw new IllegalStateException("boom");
                });
            } catch (IllegalStateException expected) {
                // rolled back
            }
            assertThat(servers.listServers()).isEmpty();
        }
    }

    @Test
    void schemaVersionIsTheNewestMigration() throws Exception {
        Path migrations = Path.of(SqliteDatabase.class.getResource("/db/migration").toURI());
        try (java.util.stream.Stream<Path> files = java.nio.file.Files.list(migrations)) {
            assertThat(files.map(f -> f.getFileName().toString()).filter(n -> n.matches("V\\d+__.*\\.sql"))
                    .mapToInt(n -> Integer.parseInt(n.substring(1, n.indexOf("__")))).max())
                    .as("SqliteDatabase.SCHEMA_VERSION names the newest migration: a new one is applied only when it does")
                    .hasValue(SqliteDatabase.SCHEMA_VERSION);
        }
    }

    /** Start-up reads the data once and nothing else: a database at the current schema is not migrated (nor validated) again. */
    @Test
    void aDatabaseAtTheCurrentSchemaOpensWithoutMigrating() throws Exception {
        Path file = dir.resolve("pools.db");
        Instant t = Instant.parse("2026-11-25T10:15:30Z");
        try (SqliteDatabase db = SqliteDatabase.open(file)) {
            new SqliteServerInventory(db).saveServer(new Server("k8s-1", Optional.of("k8s"), Optional.empty(), t));
        }
        try (java.sql.Connection c = java.sql.DriverManager.getConnection("jdbc:sqlite:" + file);
             java.sql.Statement st = c.createStatement()) {
            // Flyway's validation would refuse this history; not consulting it shows it is not run
            st.executeUpdate("UPDATE flyway_schema_history SET checksum = 12345 WHERE version = '1'");
        }
        try (SqliteDatabase db = SqliteDatabase.open(file)) {
            assertThat(new SqliteServerInventory(db).listServers()).extracting(Server::name).containsExactly("k8s-1");
        }
        try (java.sql.Connection c = java.sql.DriverManager.getConnection("jdbc:sqlite:" + file);
             java.sql.Statement st = c.createStatement()) {
            st.executeUpdate("DELETE FROM flyway_schema_history WHERE version = '" + SqliteDatabase.SCHEMA_VERSION + "'");
        }
        assertThat(org.assertj.core.api.Assertions.catchThrowable(() -> SqliteDatabase.open(file).close()))
                .as("a database behind the current schema goes through Flyway (which validates the history)")
                .isNotNull();
    }

    @Test
    void textColumnsAreReadAsUtf8AndNullStaysNull() throws Exception {
        try (java.sql.Connection c = java.sql.DriverManager.getConnection("jdbc:sqlite::memory:");
             java.sql.Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT 'Grüße, 世界 🙂', NULL, ''")) {
            assertThat(rs.next()).isTrue();
            assertThat(SqliteAllocationStore.text(rs, 1)).isEqualTo("Grüße, 世界 🙂").isEqualTo(rs.getString(1));
            assertThat(SqliteAllocationStore.text(rs, 2)).isNull();
            assertThat(SqliteAllocationStore.text(rs, 3)).isEmpty();
        }
    }
}
