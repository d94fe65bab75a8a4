package dsp.store.sqlite;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dsp.core.model.Allocation;
import dsp.core.model.VolumePhase;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A create's last step (Pending to Ready) is committed without waiting for the disk, because start-up
 * completes a Pending record whose data exists; every other write still waits for it. And the stored
 * creation times are read by a direct parser that must agree with {@link Instant#parse}.
 */
class UnsyncedCompletionTest {

    @TempDir
    Path dir;

    private static int synchronous(Connection c) throws SQLException {
        try (Statement st = c.createStatement(); ResultSet r = st.executeQuery("PRAGMA synchronous")) {
            r.next();
            return r.getInt(1);
        }
    }

    @Test
    void onlyTheUnsyncedTransactionSkipsTheSyncAndTheNextOneSyncsAgain() {
        try (SqliteDatabase db = SqliteDatabase.open(dir.resolve("pools.db"))) {
            assertThat(db.transaction(UnsyncedCompletionTest::synchronous)).as("FULL").isEqualTo(2);
            assertThat(db.changingUnsynced(UnsyncedCompletionTest::synchronous)).as("NORMAL").isEqualTo(1);
            assertThat(db.transaction(UnsyncedCompletionTest::synchronous)).as("FULL again").isEqualTo(2);
            assertThatThrownBy(() -> db.changingUnsynced(c -> {
                throw new SQLException("failed half-way");
            })).isInstanceOf(StoreException.class);
            assertThat(db.transaction(UnsyncedCompletionTest::synchronous)).as("FULL after a failure").isEqualTo(2);
        }
    }

    /** Which write comes unsynced is seen from inside SQLite: a trigger logs the synchronous setting each update ran under. */
    @Test
    void onlyACompletionIsWrittenUnsynced() {
        Allocation pending = new Allocation("a1", "data", "k8s", "k8s-1", 100, "volume", Instant.parse("2026-11-26T03:00:00Z"))
                .withPhase(VolumePhase.PENDING);
        try (SqliteDatabase db = SqliteDatabase.open(dir.resolve("pools.db"))) {
            SqliteAllocationStore store = new SqliteAllocationStore(db);
            store.addAllocation(pending);
            db.transaction(c -> {
                try (Statement st = c.createStatement()) {
                    st.execute("CREATE TABLE sync_log (sync INTEGER)");
                    st.execute("CREATE TRIGGER log_sync AFTER UPDATE ON allocations BEGIN "
                            + "INSERT INTO sync_log SELECT synchronous FROM pragma_synchronous; END");
                }
                return null;
            });
            store.completeAllocation(pending.withPhase(VolumePhase.READY));
            store.updateAllocation(pending.withPhase(VolumePhase.DELETING));
            List<Integer> logged = db.transaction(c -> {
                List<Integer> out = new java.util.ArrayList<>();
                try (Statement st = c.createStatement(); ResultSet r = st.executeQuery("SELECT sync FROM sync_log ORDER BY rowid")) {
                    while (r.next()) {
                        out.add(r.getInt(1));
                    }
                }
                return out;
            });
            assertThat(logged).as("the completion under NORMAL, the next update under FULL").containsExactly(1, 2);
        }
    }

    @Test
    void aCompletedAllocationIsReadyAfterAReopen() {
        Path file = dir.resolve("pools.db");
        Allocation pending = new Allocation("a1", "data", "k8s", "k8s-1", 100, "volume", Instant.parse("2026-11-26T03:00:00.123456Z"))
                .withPhase(VolumePhase.PENDING);
        try (SqliteDatabase db = SqliteDatabase.open(file)) {
            SqliteAllocationStore store = new SqliteAllocationStore(db);
            store.addAllocation(pending);
            store.completeAllocation(pending.withPhase(VolumePhase.READY));
        }
        try (SqliteDatabase db = SqliteDatabase.open(file)) {
            assertThat(new SqliteAllocationStore(db).listAllocations()).containsExactly(pending.withPhase(VolumePhase.READY));
        }
    }
}
