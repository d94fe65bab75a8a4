package dsp.store.sqlite;

import dsp.core.model.Allocation;
import dsp.core.model.Timestamps;
import dsp.core.model.VolumeFormat;
import dsp.core.model.VolumePhase;
import dsp.core.port.AllocationStore;
import java.nio.charset.StandardCharsets;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Admitted allocations of standalone mode, one row each: the durable record. Read in full once at
 * start-up to load the in-memory ledger; afterwards only written (through the ledger's
 * write-through store).
 */
public final class SqliteAllocationStore implements AllocationStore {

    private static final String COLUMNS = "id, name, pool, server, size_bytes, kind, created_at, format, template, owner, phase";
    private static final String INSERT = "INSERT INTO allocations (" + COLUMNS + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
    private static final String UPDATE = "UPDATE allocations SET size_bytes = ?, server = ?, owner = ?, phase = ? WHERE id = ?";
    private final SqliteDatabase db;

    public SqliteAllocationStore(SqliteDatabase db) {
        this.db = db;
    }

    @Override
    public List<Allocation> listAllocations() {
        return db.transaction(c -> {
            try (PreparedStatement ps = c.prepareStatement("SELECT " + COLUMNS + " FROM allocations ORDER BY created_at, id");
                 ResultSet rs = ps.executeQuery()) {
                List<Allocation> out = new ArrayList<>();
                while (rs.next()) {
                    out.add(read(rs));
                }
                return out;
            }
        });
    }

    @Override
    public Optional<Allocation> findAllocation(String id) {
        return db.transaction(c -> {
            try (PreparedStatement ps = c.prepareStatement("SELECT " + COLUMNS + " FROM allocations WHERE id = ?")) {
                ps.setString(1, id);
                try (ResultSet rs = ps.executeQuery()) {
                    return rs.next() ? Optional.of(read(rs)) : Optional.empty();
                }
            }
        });
    }

    @Override
    public void addAllocation(Allocation a) {
        db.adding(c -> {
            PreparedStatement ps = db.prepared(INSERT);
            ps.setString(1, a.id());
            ps.setString(2, a.name());
            ps.setString(3, a.pool());
            ps.setString(4, a.server());
            ps.setLong(5, a.sizeBytes());
            ps.setString(6, a.kind());
            ps.setString(7, a.createdAt().toString());
            ps.setString(8, a.format().display());
            ps.setString(9, a.template().orElse(null));
            ps.setString(10, a.owner().orElse(null));
            ps.setString(11, a.phase().display());
            return ps.executeUpdate();
        });
    }

    @Override
    public void updateAllocation(Allocation a) {
        db.changing(c -> update(a));
    }

    /** Not synced (see {@link AllocationStore#completeAllocation}): WAL keeps it before every later, synced, commit. */
    @Override
    public void completeAllocation(Allocation ready) {
        db.changingUnsynced(c -> update(ready));
    }

    private int update(Allocation a) throws SQLException {
        PreparedStatement ps = db.prepared(UPDATE);
        ps.setLong(1, a.sizeBytes());
        ps.setString(2, a.server());
        ps.setString(3, a.owner().orElse(null));
        ps.setString(4, a.phase().display());
        ps.setString(5, a.id());
        return ps.executeUpdate();
    }

    @Override
    public void removeAllocation(String id) {
        db.changing(c -> {
            PreparedStatement ps = db.prepared("DELETE FROM allocations WHERE id = ?");
            ps.setString(1, id);
            return ps.executeUpdate();
        });
    }

    /**
     * One row, by column position (the order of {@link #COLUMNS}: a name lookup per cell costs as
     * much as the cell at 200,000 rows). Pool, server, kind, format and phase repeat on every row:
     * one shared copy each keeps 200,000 allocations small in memory.
     */
    private static Allocation read(ResultSet rs) throws SQLException {
        return new Allocation(text(rs, 1), text(rs, 2), text(rs, 3).intern(), text(rs, 4).intern(),
                rs.getLong(5), text(rs, 6).intern(), Timestamps.read(text(rs, 7)),
                VolumeFormat.parse(text(rs, 8)), Optional.ofNullable(text(rs, 9)),
                Optional.ofNullable(text(rs, 10)), VolumePhase.valueOf(text(rs, 11).toUpperCase()));
    }

    /**
     * A TEXT column (or null), decoded from its UTF-8 bytes here: sqlite-jdbc's getString wraps every
     * value in a new direct buffer first, which was a third of what a 200,000-allocation start-up allocated.
     */
    static String text(ResultSet rs, int column) throws SQLException {
        byte[] utf8 = rs.getBytes(column);
        return utf8 == null ? null : new String(utf8, StandardCharsets.UTF_8);
    }
}
