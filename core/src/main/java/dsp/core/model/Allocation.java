package dsp.core.model;

import dsp.core.DomainException;
import java.time.Instant;

/**
 * Space promised on one server to one volume of one pool: a PVC's volume, a VM disk. The size
 * counts in full from the moment it is admitted, however thin the data on disk is.
 *
 * @param kind what made it, e.g. "volume" or "vm-disk"; informational
 */
public record Allocation(String id, String name, String pool, String server, long sizeBytes, String kind, Instant createdAt) {

    public Allocation {
        if (id == null || id.isBlank()) {
            throw DomainException.invalid("allocation id is missing");
        }
        Names.require("volume", name);
        Names.require("pool", pool);
        Names.require("server", server);
        if (sizeBytes <= 0 || sizeBytes > Quantity.MAX_BYTES) {
            throw DomainException.invalid("size must be between 1 byte and 1 EB");
        }
    }

    public Allocation withSize(long newSize) {
        return new Allocation(id, name, pool, server, newSize, kind, createdAt);
    }
}
