package dsp.store.sqlite;

import dsp.core.model.Server;
import dsp.core.port.ServerInventory;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** The server inventory of standalone mode, one row per server. */
public final class SqliteServerInventory implements ServerInventory {

    private final SqliteDatabase db;

    public SqliteServerInventory(SqliteDatabase db) {
        this.db = db;
    }

    @Override
    public List<Server> listServers() {
        return db.transaction(c -> {
            try (PreparedStatement ps = c.prepareStatement("SELECT name, pool_label, share_bytes, created_at FROM servers ORDER BY name");
                 ResultSet rs = ps.executeQuery()) {
                List<Server> out = new ArrayList<>();
                while (rs.next()) {
                    out.add(read(rs));
                }
                return out;
            }
        });
    }

    @Override
    public Optional<Server> findServer(String name) {
        return db.transaction(c -> {
            try (PreparedStatement ps = c.prepareStatement("SELECT name, pool_label, share_bytes, created_at FROM servers WHERE name = ?")) {
                ps.setString(1, name);
                try (ResultSet rs = ps.executeQuery()) {
                    return rs.next() ? Optional.of(read(rs)) : Optional.empty();
                }
            }
        });
    }

    @Override
    public void saveServer(Server s) {
        db.adding(c -> { // may add a server: only while the reserve is there
            PreparedStatement ps = db.prepared("INSERT INTO servers (name, pool_label, share_bytes, created_at) VALUES (?, ?, ?, ?) "
                    + "ON CONFLICT (name) DO UPDATE SET pool_label = excluded.pool_label, share_bytes = excluded.share_bytes");
            ps.setString(1, s.name());
            ps.setString(2, s.pool().orElse(null));
            if (s.shareOverride().isPresent()) {
                ps.setLong(3, s.shareOverride().get());
            } else {
                ps.setNull(3, Types.INTEGER);
            }
            ps.setString(4, s.createdAt().toString());
            return ps.executeUpdate();
        });
    }

    @Override
    public void deleteServer(String name) {
        db.changing(c -> {
            PreparedStatement ps = db.prepared("DELETE FROM servers WHERE name = ?");
            ps.setString(1, name);
            return ps.executeUpdate();
        });
    }

    private static Server read(ResultSet rs) throws SQLException {
        long share = rs.getLong("share_bytes");
        Optional<Long> override = rs.wasNull() ? Optional.empty() : Optional.of(share);
        return new Server(rs.getString("name"), Optional.ofNullable(rs.getString("pool_label")), override,
                Instant.parse(rs.getString("created_at")));
    }
}
