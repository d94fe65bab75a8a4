package dsp.store.sqlite;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dsp.core.model.Allocation;
import dsp.core.model.Server;
import dsp.core.model.VolumeFormat;
import dsp.core.model.VolumePhase;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What {@link SqliteDatabase} promises besides storing rows: the disk-full reserve beside the file, the
 * retry of a change that hit a full disk, the connection's settings, and a lock that every entry
 * point gives back. (The real full disk, on a small ext4, is the cli module's disk-full suite.)
 */
class SqliteDatabaseTest {

    private static final Instant T = Instant.parse("2026-11-25T10:15:30Z");
    /** A VM's qcow2 disk from a template, with an owner: every optional column filled. */
    private static final Allocation VM_DISK = new Allocation("d1", "vm-1", "vm", "vm-server-1", 50_000_000_000L, "vm-disk", T,
            VolumeFormat.QCOW2, Optional.of("ubuntu22"), Optional.of("vm-1"), VolumePhase.PENDING);

    @TempDir
    Path dir;

    /** Daemon threads: a thread stuck on a leaked lock must not keep the JVM alive. */
    private final ExecutorService other = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "second-caller");
        t.setDaemon(true);
        return t;
    });

    @AfterEach
    void stopOther() {
        other.shutdownNow();
    }

    private Path reserveOf(Path file) {
        return file.resolveSibling(file.getFileName() + ".reserve");
    }

    @Test
    void openingKeepsAReserveOfExactlyTheReservedSizeWrittenOut() throws Exception {
        Path file = dir.resolve("pools.db");
        try (SqliteDatabase db = SqliteDatabase.open(file)) {
            Path reserve = reserveOf(file);
            assertThat(reserve).isRegularFile();
            assertThat(Files.size(reserve)).isEqualTo(SqliteDatabase.RESERVE_BYTES);
            assertThat(Files.readAllBytes(reserve)).containsOnly(0);
            assertThat(db.file()).isEqualTo(file);
            assertThat(reserveOf(file).resolveSibling("pools.db.reserve.partial")).doesNotExist();
        }
    }

    @Test
    void addingPutsBackAReserveThatWasUsed() throws Exception {
        Path file = dir.resolve("pools.db");
        try (SqliteDatabase db = SqliteDatabase.open(file)) {
            Files.delete(reserveOf(file));
            String added = db.adding(c -> "added");
            assertThat(added).isEqualTo("added");
            assertThat(Files.size(reserveOf(file))).isEqualTo(SqliteDatabase.RESERVE_BYTES);
        }
    }

    @Test
    void addingIsRefusedAsAFullDiskWhenTheReserveCannotBeKept() throws Exception {
        Path file = dir.resolve("pools.db");
        try (SqliteDatabase db = SqliteDatabase.open(file)) {
            Files.delete(reserveOf(file));
            // the reserve is written to a .partial file first: a directory there makes that write fail
            Path partial = reserveOf(file).resolveSibling("pools.db.reserve.partial");
            Files.createDirectories(partial.resolve("blocker"));
            AtomicInteger runs = new AtomicInteger();
            assertThatThrownBy(() -> db.adding(c -> runs.incrementAndGet()))
                    .isInstanceOf(StoreException.class).hasMessageContaining("reserve cannot be kept");
            assertThat(runs).as("nothing is added that could not be undone").hasValue(0);
            // the lock was given back: another thread still gets through
            CompletableFuture<String> second = CompletableFuture.supplyAsync(() -> db.transaction(c -> "through"), other);
            await().atMost(Duration.ofSeconds(30)).until(second::isDone);
            assertThat(second.join()).isEqualTo("through");
        }
    }

    @Test
    void aChangeThatHitsAFullDiskGivesUpTheReserveAndGetsThrough() {
        Path file = dir.resolve("pools.db");
        try (SqliteDatabase db = SqliteDatabase.open(file)) {
            AtomicInteger runs = new AtomicInteger();
            String result = db.changing(c -> {
                if (runs.incrementAndGet() == 1) {
                    throw new SQLException("[SQLITE_FULL] Insertion failed because database is full (database or disk is full)");
                }
                return "changed";
            });
            assertThat(result).isEqualTo("changed");
            assertThat(runs).hasValue(2);
            assertThat(reserveOf(file)).doesNotExist();
        }
    }

    @Test
    void aChangeThatFailsForAnotherReasonIsNotRetried() {
        Path file = dir.resolve("pools.db");
        try (SqliteDatabase db = SqliteDatabase.open(file)) {
            AtomicInteger runs = new AtomicInteger();
            assertThatThrownBy(() -> db.changing(c -> {
                runs.incrementAndGet();
                throw new SQLException("[SQLITE_CONSTRAINT] abort due to constraint violation");
            })).isInstanceOf(StoreException.class).hasMessageContaining("SQLITE_CONSTRAINT");
            assertThat(runs).hasValue(1);
            assertThat(reserveOf(file)).as("the reserve is kept for a full disk").isRegularFile();
            String changed = db.changing(c -> "changed");
            assertThat(changed).isEqualTo("changed");
        }
    }

    @Test
    void aFullDiskWithoutAReserveToGiveUpIsReportedNotRetried() throws Exception {
        Path file = dir.resolve("pools.db");
        // a non-empty directory where the reserve would be: open keeps it (it exists) and it cannot be deleted
        Files.createDirectories(reserveOf(file).resolve("blocker"));
        try (SqliteDatabase db = SqliteDatabase.open(file)) {
            AtomicInteger runs = new AtomicInteger();
            assertThatThrownBy(() -> db.changing(c -> {
                runs.incrementAndGet();
                throw new SQLException("[SQLITE_FULL] database or disk is full");
            })).isInstanceOf(StoreException.class);
            assertThat(runs).hasValue(1);
        }
        Files.delete(reserveOf(file).resolve("blocker"));
        Files.delete(reserveOf(file));
        try (SqliteDatabase db = SqliteDatabase.open(file)) {
            AtomicInteger runs = new AtomicInteger();
            Files.delete(reserveOf(file));
            assertThatThrownBy(() -> db.changing(c -> {
                runs.incrementAndGet();
                throw new SQLException("[SQLITE_FULL] database or disk is full");
            })).as("a reserve already given up cannot be given again").isInstanceOf(StoreException.class);
            assertThat(runs).hasValue(1);
        }
    }

    @Test
    void aFullDiskIsRecognisedAnywhereInTheCauseChain() {
        assertThat(SqliteDatabase.isDiskFull(new StoreException("x", new SQLException("[SQLITE_FULL] full")))).isTrue();
        assertThat(SqliteDatabase.isDiskFull(new RuntimeException("a", new RuntimeException("b",
                new java.io.IOException("No space left on device"))))).isTrue();
        assertThat(SqliteDatabase.isDiskFull(new SQLException("database or disk is full"))).isTrue();
        assertThat(SqliteDatabase.isDiskFull(new RuntimeException("a", new RuntimeException((String) null)))).isFalse();
        assertThat(SqliteDatabase.isDiskFull(new SQLException("[SQLITE_BUSY] database is locked"))).isFalse();
    }

    @Test
    void theConnectionIsDurableWaitsForLocksAndEnforcesForeignKeys() {
        try (SqliteDatabase db = SqliteDatabase.open(dir.resolve("pools.db"))) {
            assertThat(pragma(db, "synchronous")).as("FULL").isEqualTo(2);
            assertThat(pragma(db, "busy_timeout")).isEqualTo(10_000);
            assertThat(pragma(db, "foreign_keys")).isEqualTo(1);
        }
    }

    private static int pragma(SqliteDatabase db, String name) {
        return db.transaction(c -> {
            try (ResultSet rs = c.createStatement().executeQuery("PRAGMA " + name)) {
                rs.next();
                return rs.getInt(1);
            }
        });
    }

    @Test
    void anExistingFileWithoutMigrationsIsMigrated() throws Exception {
        Path file = dir.resolve("pools.db");
        Files.createFile(file); // an empty file is an empty SQLite database
        try (SqliteDatabase db = SqliteDatabase.open(file)) {
            new SqliteServerInventory(db).saveServer(new Server("k8s-1", Optional.of("k8s"), Optional.empty(), T));
            assertThat(new SqliteServerInventory(db).listServers()).extracting(Server::name).containsExactly("k8s-1");
        }
    }

    @Test
    void everyEntryPointGivesTheLockBack() throws Exception {
        Path file = dir.resolve("pools.db");
        try (SqliteDatabase db = SqliteDatabase.open(file)) {
            db.transaction(c -> 1);
            Files.delete(reserveOf(file));
            db.adding(c -> 1); // puts the reserve back under the lock
            assertThatThrownBy(() -> db.transaction(c -> {
                throw new SQLException("boom");
            })).isInstanceOf(StoreException.class);
            db.backupTo(dir.resolve("copy.db"));
            CompletableFuture<Integer> second = CompletableFuture.supplyAsync(() -> db.transaction(c -> 2), other);
            await().atMost(Duration.ofSeconds(30)).until(second::isDone);
            assertThat(second.join()).isEqualTo(2);
        }
    }

    @Test
    void aBackupIsAConsistentCopyThatOpensOnItsOwn() {
        Path copy = dir.resolve("backup/copy.db");
        try (SqliteDatabase db = SqliteDatabase.open(dir.resolve("pools.db"))) {
            new SqliteServerInventory(db).saveServer(new Server("k8s-1", Optional.of("k8s"), Optional.empty(), T));
            copy.getParent().toFile().mkdirs();
            db.backupTo(copy);
        }
        try (SqliteDatabase restored = SqliteDatabase.open(copy)) {
            assertThat(new SqliteServerInventory(restored).listServers()).extracting(Server::name).containsExactly("k8s-1");
        }
    }

    @Test
    void aClosedDatabaseRefusesWorkOnEveryThread() {
        SqliteDatabase db = SqliteDatabase.open(dir.resolve("pools.db"));
        db.close();
        assertThatThrownBy(() -> db.transaction(c -> 1)).isInstanceOf(StoreException.class);
        CompletableFuture<Integer> second = CompletableFuture.supplyAsync(() -> db.transaction(c -> 2), other);
        await().atMost(Duration.ofSeconds(30)).until(second::isDone);
        assertThat(second).isCompletedExceptionally();
    }

    @Test
    void anAddedVolumeKeepsItsOwnerAndTemplate() {
        try (SqliteDatabase db = SqliteDatabase.open(dir.resolve("pools.db"))) {
            SqliteAllocationStore allocations = new SqliteAllocationStore(db);
            allocations.addAllocation(VM_DISK);
            assertThat(allocations.findAllocation("d1")).contains(VM_DISK);
        }
    }

    @Test
    void aWriteStatementIsPreparedOnceAndKeptOnlyForUnitsOfWork() throws Exception {
        try (SqliteDatabase db = SqliteDatabase.open(dir.resolve("pools.db"))) {
            String sql = "DELETE FROM allocations WHERE id = ?";
            Object first = db.transaction(c -> db.prepared(sql));
            Object again = db.changing(c -> db.prepared(sql));
            Object other = db.transaction(c -> db.prepared("DELETE FROM servers WHERE name = ?"));
            assertThat(again).isSameAs(first);
            assertThat(other).isNotSameAs(first);
            assertThatThrownBy(() -> db.prepared(sql)).isInstanceOf(IllegalStateException.class);
        }
    }

    @Test
    void keptStatementsStoreEachWriteWithItsOwnValuesAlsoAfterOneFailed() {
        try (SqliteDatabase db = SqliteDatabase.open(dir.resolve("pools.db"))) {
            SqliteAllocationStore allocations = new SqliteAllocationStore(db);
            Allocation plain = new Allocation("d2", "data", "k8s", "k8s-1", 1_000, "volume", T,
                    VolumeFormat.DIRECTORY, Optional.empty(), Optional.empty(), VolumePhase.PENDING);
            allocations.addAllocation(VM_DISK);
            assertThatThrownBy(() -> allocations.addAllocation(VM_DISK)).isInstanceOf(StoreException.class).hasMessageContaining("UNIQUE");
            allocations.addAllocation(plain);
            allocations.completeAllocation(plain.withPhase(VolumePhase.READY));
            allocations.updateAllocation(VM_DISK.withPhase(VolumePhase.READY));
            allocations.removeAllocation("d1");
            allocations.addAllocation(VM_DISK);
            assertThat(allocations.listAllocations()).containsExactlyInAnyOrder(plain.withPhase(VolumePhase.READY), VM_DISK);
            SqliteServerInventory servers = new SqliteServerInventory(db);
            servers.saveServer(new Server("k8s-1", Optional.of("k8s"), Optional.of(5L), T));
            servers.saveServer(new Server("k8s-1", Optional.empty(), Optional.empty(), T));
            servers.saveServer(new Server("vm-1", Optional.of("vm"), Optional.empty(), T));
            assertThat(servers.listServers()).containsExactly(new Server("k8s-1", Optional.empty(), Optional.empty(), T),
                    new Server("vm-1", Optional.of("vm"), Optional.empty(), T));
        }
        try (SqliteDatabase again = SqliteDatabase.open(dir.resolve("pools.db"))) {
            assertThat(new SqliteAllocationStore(again).listAllocations()).extracting(Allocation::id).containsExactlyInAnyOrder("d1", "d2");
        }
    }
}
