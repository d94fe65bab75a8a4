package dsp.core.model;

import dsp.core.DomainException;
import java.time.Instant;
import java.util.Optional;

/**
 * Space promised on one server to one volume of one pool: a PVC's volume, a VM disk. The size
 * counts in full from the moment it is admitted, however thin the data on disk is.
 *
 * @param name     unique within the pool; also the volume's file or directory name on the server
 * @param kind     what made it, e.g. "volume" or "vm-disk"
 * @param template the template a VM disk was made from (its backing image), if any
 * @param owner    the id of what uses it (a VM), if anything
 */
public record Allocation(String id, String name, String pool, String server, long sizeBytes, String kind,
                         Instant createdAt, VolumeFormat format, Optional<String> template, Optional<String> owner,
                         VolumePhase phase) {

    public Allocation {
        if (id == null || id.isBlank()) {
            throw DomainException.invalid("allocation id is missing");
        }
        Names.require("volume", name);
        Names.require("pool", pool);
        Names.requireServer(server);
        if (sizeBytes <= 0 || sizeBytes > Quantity.MAX_BYTES) {
            throw DomainException.invalid("size must be between 1 byte and 1 EB");
        }
        template.ifPresent(t -> Names.require("template", t));
    }

    /** A plain ready directory allocation: what the ledger alone needs. */
    public Allocation(String id, String name, String pool, String server, long sizeBytes, String kind, Instant createdAt) {
        this(id, name, pool, server, sizeBytes, kind, createdAt, VolumeFormat.DIRECTORY, Optional.empty(), Optional.empty(),
                VolumePhase.READY);
    }

    public Allocation withSize(long newSize) {
        return new Allocation(id, name, pool, server, newSize, kind, createdAt, format, template, owner, phase);
    }

    public Allocation withPhase(VolumePhase newPhase) {
        return new Allocation(id, name, pool, server, sizeBytes, kind, createdAt, format, template, owner, newPhase);
    }

    public Allocation withOwner(Optional<String> newOwner) {
        return new Allocation(id, name, pool, server, sizeBytes, kind, createdAt, format, template, newOwner, phase);
    }

    /** The same allocation on another server (a move's switch). */
    public Allocation withServer(String newServer) {
        return new Allocation(id, name, pool, newServer, sizeBytes, kind, createdAt, format, template, owner, phase);
    }
}
