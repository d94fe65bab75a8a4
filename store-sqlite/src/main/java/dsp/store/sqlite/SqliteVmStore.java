package dsp.store.sqlite;

import dsp.core.DomainException;
import dsp.core.port.VmStore;
import dsp.core.vm.VirtualMachine;
import dsp.core.vm.VmStatus;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** VMs of standalone mode, one row each; (namespace, name) is unique. */
public final class SqliteVmStore implements VmStore {

    private static final String COLUMNS = "id, name, namespace, image, server_type, cpu, memory_gb, disk_id, status, created_at";
    private static final String INSERT = "INSERT INTO vms (" + COLUMNS + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
    private final SqliteDatabase db;

    public SqliteVmStore(SqliteDatabase db) {
        this.db = db;
    }

    @Override
    public List<VirtualMachine> listVms() {
        return db.transaction(c -> {
            try (PreparedStatement ps = c.prepareStatement("SELECT " + COLUMNS + " FROM vms ORDER BY namespace, name");
                 ResultSet rs = ps.executeQuery()) {
                List<VirtualMachine> out = new ArrayList<>();
                while (rs.next()) {
                    out.add(read(rs));
                }
                return out;
            }
        });
    }

    @Override
    public Optional<VirtualMachine> findVm(String id) {
        return db.transaction(c -> {
            try (PreparedStatement ps = c.prepareStatement("SELECT " + COLUMNS + " FROM vms WHERE id = ?")) {
                ps.setString(1, id);
                try (ResultSet rs = ps.executeQuery()) {
                    return rs.next() ? Optional.of(read(rs)) : Optional.empty();
                }
            }
        });
    }

    @Override
    public void addVm(VirtualMachine vm) {
        try {
            db.adding(c -> {
                PreparedStatement ps = db.prepared(INSERT);
                ps.setString(1, vm.id());
                ps.setString(2, vm.name());
                ps.setString(3, vm.namespace());
                ps.setString(4, vm.image());
                ps.setString(5, vm.serverType().orElse(null));
                ps.setInt(6, vm.cpu());
                ps.setInt(7, vm.memoryGb());
                ps.setString(8, vm.diskId());
                ps.setString(9, vm.status().name());
                ps.setString(10, vm.createdAt().toString());
                return ps.executeUpdate();
            });
        } catch (StoreException e) {
            if (e.getMessage().contains("UNIQUE")) {
                throw DomainException.conflict("a VM named '" + vm.name() + "' already exists in namespace " + vm.namespace());
            }
            throw e;
        }
    }

    @Override
    public void updateVm(VirtualMachine vm) {
        db.changing(c -> {
            PreparedStatement ps = db.prepared("UPDATE vms SET status = ? WHERE id = ?");
            ps.setString(1, vm.status().name());
            ps.setString(2, vm.id());
            return ps.executeUpdate();
        });
    }

    @Override
    public void removeVm(String id) {
        db.changing(c -> {
            PreparedStatement ps = db.prepared("DELETE FROM vms WHERE id = ?");
            ps.setString(1, id);
            return ps.executeUpdate();
        });
    }

    private static VirtualMachine read(ResultSet rs) throws SQLException {
        return new VirtualMachine(rs.getString("id"), rs.getString("name"), rs.getString("namespace"), rs.getString("image"),
                Optional.ofNullable(rs.getString("server_type")), rs.getInt("cpu"), rs.getInt("memory_gb"),
                rs.getString("disk_id"), VmStatus.valueOf(rs.getString("status")), Instant.parse(rs.getString("created_at")));
    }
}
