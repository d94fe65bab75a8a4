package dsp.core.model;

import dsp.core.DomainException;
import java.time.Instant;
import java.util.Optional;

/**
 * A machine that contributes local disk. {@code pool} is the value of its {@code pool} label
 * (empty when unlabelled); {@code shareOverride} replaces the pool's per-server share for bigger
 * or smaller disks.
 */
public record Server(String name, Optional<String> pool, Optional<Long> shareOverride, Instant createdAt) {

    public Server {
        Names.requireServer(name);
        pool.ifPresent(p -> Names.require("pool", p));
        shareOverride.ifPresent(s -> {
            if (s <= 0 || s > Quantity.MAX_BYTES) {
                throw DomainException.invalid("server '" + name + "' capacity must be between 1 byte and 1 EB");
            }
        });
    }

    public Server withPool(Optional<String> newPool) {
        return new Server(name, newPool, shareOverride, createdAt);
    }

    public Server withShareOverride(Optional<Long> newShare) {
        return new Server(name, pool, newShare, createdAt);
    }

    public boolean isIn(String poolName) {
        return pool.isPresent() && pool.get().equals(poolName);
    }
}
