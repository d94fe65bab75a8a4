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
            assertThat(migrations).isGreaterThanOrEqualTo(1);
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
}
