package dsp.store.sqlite;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.locks.ReentrantLock;
import org.flywaydb.core.Flyway;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.sqlite.SQLiteConfig;
import org.sqlite.SQLiteDataSource;

/**
 * The embedded database of standalone mode: one SQLite file in WAL mode, migrated by Flyway at
 * open, used through a single connection guarded by a lock (SQLite allows one writer anyway).
 *
 * <p>A full disk must never leave a change half-made, yet undoing one (removing the record of a
 * disk that could not be made) is itself a write. So a few MB beside the database are kept in
 * reserve: a transaction that {@link #adding adds} records runs only while the reserve is there,
 * and one that {@link #changing changes or removes} them may give the reserve up to get through.
 */
public final class SqliteDatabase implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(SqliteDatabase.class);

    /** A unit of work on the connection. */
    @FunctionalInterface
    public interface Work<T> {
        T run(Connection c) throws SQLException;
    }

    /** The version of the newest migration in db/migration (SqliteStoreTest checks that it is). */
    static final int SCHEMA_VERSION = 2;

    /** What an undo or a delete may need when the disk is otherwise full: many WAL frames of a few pages each. */
    static final int RESERVE_BYTES = 4 << 20;

    private final Connection connection;
    private final ReentrantLock lock = new ReentrantLock();
    private final Path file;
    private final Path reserve;
    /** Statements of the write paths, prepared once on the connection (guarded by {@link #lock}). */
    private final Map<String, PreparedStatement> statements = new HashMap<>();

    private SqliteDatabase(Path file, Connection connection) {
        this.file = file;
        this.connection = connection;
        this.reserve = file.resolveSibling(file.getFileName() + ".reserve");
    }

    public static SqliteDatabase open(Path file) {
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            SQLiteConfig config = new SQLiteConfig();
            config.setJournalMode(SQLiteConfig.JournalMode.WAL);
            config.setSynchronous(SQLiteConfig.SynchronousMode.FULL);
            config.setBusyTimeout(10_000);
            config.enforceForeignKeys(true);
            SQLiteDataSource ds = new SQLiteDataSource(config);
            ds.setUrl("jdbc:sqlite:" + file.toAbsolutePath());
            if (!atCurrentSchema(file, ds)) {
                Flyway.configure().dataSource(ds).locations("classpath:db/migration").load().migrate();
            }
            Connection c = ds.getConnection();
            try (Statement st = c.createStatement()) {
                st.execute("PRAGMA journal_mode=WAL");
            }
            LOG.info("database {} ready", file);
            SqliteDatabase db = new SqliteDatabase(file, c);
            try {
                db.keepReserve();
            } catch (StoreException full) {
                LOG.warn("database {}: {}; new records are refused until there is room", file, full.getMessage());
            }
            return db;
        } catch (SQLException | java.io.IOException e) {
            throw new StoreException("cannot open database " + file + ": " + e.getMessage(), e);
        }
    }

    /**
     * Whether Flyway has applied every migration up to {@link #SCHEMA_VERSION} and none failed: then a
     * start-up need not run it (Flyway's classpath scan and validation were a quarter of the
     * standalone server's start-up, #10).
     */
    private static boolean atCurrentSchema(Path file, SQLiteDataSource ds) throws SQLException {
        if (!Files.isRegularFile(file)) {
            return false;
        }
        try (Connection c = ds.getConnection(); Statement st = c.createStatement()) {
            try (java.sql.ResultSet history = st.executeQuery(
                    "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'flyway_schema_history'")) {
                if (!history.next()) {
                    return false;
                }
            }
            try (java.sql.ResultSet r = st.executeQuery("SELECT MAX(CAST(version AS INTEGER)), "
                    + "SUM(CASE WHEN success THEN 0 ELSE 1 END) FROM flyway_schema_history WHERE version IS NOT NULL")) {
                return r.next() && r.getInt(1) == SCHEMA_VERSION && r.getInt(2) == 0;
            }
        }
    }

    public Path file() {
        return file;
    }

    /** Runs {@code work} in one transaction: all of it is stored, or none of it. */
    public <T> T transaction(Work<T> work) {
        lock.lock();
        try {
            connection.setAutoCommit(false);
            try {
                T result = work.run(connection);
                connection.commit();
                return result;
            } catch (SQLException | RuntimeException e) {
                // SQLite may have rolled back already (SQLITE_FULL does): the first failure is what happened
                rollbackQuietly(e);
                throw e;
            } finally {
                restoreAutoCommit();
            }
        } catch (SQLException e) {
            throw new StoreException("database " + file + " failed: " + e.getMessage(), e);
        } finally {
            lock.unlock();
        }
    }

    /**
     * A transaction that adds records: refused (as a full disk) unless the reserve is in place, so
     * that whatever it starts can still be undone.
     */
    public <T> T adding(Work<T> work) {
        keepReserve();
        return transaction(work);
    }

    /**
     * A transaction that updates or removes records, such as an undo or the phases of a delete: when
     * the disk is full it gives up the reserve and tries once more.
     */
    public <T> T changing(Work<T> work) {
        try {
            return transaction(work);
        } catch (StoreException e) {
            if (!isDiskFull(e) || !releaseReserve()) {
                throw e;
            }
            LOG.warn("database {}: the disk is full; the reserve is used so that this change is not left half-made", file);
            return transaction(work);
        }
    }

    /**
     * A {@link #changing} transaction whose commit does not wait for the disk (synchronous=NORMAL for
     * it alone): only for a change that start-up redoes from what is on disk when a power cut loses it.
     * A killed process loses nothing (the commit is with the OS), and the WAL keeps commits in order,
     * so the next synced commit makes this one durable too.
     */
    public <T> T changingUnsynced(Work<T> work) {
        lock.lock();
        try {
            synchronous("NORMAL");
            try {
                return changing(work);
            } finally {
                synchronous("FULL");
            }
        } finally {
            lock.unlock();
        }
    }

    private void synchronous(String mode) {
        try {
            prepared("PRAGMA synchronous=" + mode).execute();
        } catch (SQLException e) {
            throw new StoreException("database " + file + " failed: " + e.getMessage(), e);
        }
    }

    /**
     * The statement for {@code sql} on this database's connection, prepared the first time and kept:
     * preparing parses the SQL against the schema, which cost about as much CPU as running the insert
     * of a create (#10). For a unit of work ({@link #transaction} and the others) only, while it holds
     * the connection; its parameters are cleared, and the caller must not close it (the connection's
     * close does). A result set it gives must be closed before the statement is used again.
     */
    public PreparedStatement prepared(String sql) throws SQLException {
        if (!lock.isHeldByCurrentThread()) {
            throw new IllegalStateException("a kept statement is only for a unit of work on the database");
        }
        PreparedStatement ps = statements.get(sql);
        if (ps == null || ps.isClosed()) {
            ps = connection.prepareStatement(sql);
            statements.put(sql, ps);
        } else {
            ps.clearParameters();
        }
        return ps;
    }

    /** Puts the reserve back when it was used; fails as a full disk when there is no room for it. */
    void keepReserve() {
        if (Files.exists(reserve)) {
            return;
        }
        lock.lock();
        Path partial = reserve.resolveSibling(reserve.getFileName() + ".partial");
        try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(partial, java.nio.file.StandardOpenOption.CREATE,
                java.nio.file.StandardOpenOption.WRITE, java.nio.file.StandardOpenOption.TRUNCATE_EXISTING)) {
            // written, not sparse: the blocks must really be taken now to be there later
            java.nio.ByteBuffer zeros = java.nio.ByteBuffer.allocate(64 << 10);
            for (long at = 0; at < RESERVE_BYTES; at += zeros.capacity()) {
                zeros.clear();
                while (zeros.hasRemaining()) {
                    ch.write(zeros, at + zeros.position());
                }
            }
            ch.force(true);
            Files.move(partial, reserve, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        } catch (java.io.IOException e) {
            try {
                Files.deleteIfExists(partial);
            } catch (java.io.IOException ignored) {
                // the next attempt truncates it
            }
            throw new StoreException("the database's reserve cannot be kept: " + e.getMessage(), e);
        } finally {
            lock.unlock();
        }
    }

    private boolean releaseReserve() {
        try {
            return Files.deleteIfExists(reserve);
        } catch (java.io.IOException e) {
            return false;
        }
    }

    static boolean isDiskFull(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            String m = String.valueOf(t.getMessage());
            if (m.contains("SQLITE_FULL") || m.contains("database or disk is full") || m.contains("No space left on device")) {
                return true;
            }
        }
        return false;
    }

    private void rollbackQuietly(Exception cause) {
        try {
            connection.rollback();
        } catch (SQLException e) {
            cause.addSuppressed(e);
        }
    }

    private void restoreAutoCommit() throws SQLException {
        try {
            connection.setAutoCommit(true);
        } catch (SQLException e) {
            // "no transaction is active": SQLite ended it itself; the connection is in autocommit again
            if (!connection.getAutoCommit()) {
                throw e;
            }
        }
    }

    /**
     * SQLite's online backup of the whole database into {@code target}: a consistent copy taken
     * between two transactions while the server keeps serving.
     */
    public void backupTo(Path target) {
        lock.lock();
        try (Statement st = connection.createStatement()) {
            st.executeUpdate("backup to \"" + target.toAbsolutePath().toString().replace("\"", "") + "\"");
        } catch (SQLException e) {
            throw new StoreException("cannot back up database " + file + " to " + target + ": " + e.getMessage(), e);
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void close() {
        lock.lock();
        try {
            connection.close();
        } catch (SQLException e) {
            LOG.warn("closing database {}: {}", file, e.getMessage());
        } finally {
            lock.unlock();
        }
    }
}
