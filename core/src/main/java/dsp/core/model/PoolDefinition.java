package dsp.core.model;

import dsp.core.DomainException;

/**
 * One pool as configured: servers labelled {@code pool=<label>} each give {@code shareBytes}
 * (unless they override it) to this pool, provisioned under {@code path} on the server.
 *
 * @param overcommit ratio of allocations to capacity admission allows; 1.0 means never oversell
 */
public record PoolDefinition(
        String name,
        String label,
        long shareBytes,
        String storageClass,
        String path,
        ReclaimPolicy reclaimPolicy,
        double overcommit) {

    public PoolDefinition {
        Names.require("pool", name);
        Names.require("pool label", label);
        if (shareBytes <= 0 || shareBytes > Quantity.MAX_BYTES) {
            throw DomainException.invalid("pool '" + name + "' share must be between 1 byte and 1 EB");
        }
        if (path == null || !path.matches("^/[A-Za-z0-9._-]+$") || path.equals("/.") || path.equals("/..")) {
            throw DomainException.invalid("pool '" + name + "' path '" + path
                    + "' must be one absolute directory name such as /k8s-storage-pool");
        }
        if (storageClass != null) {
            Names.require("storage class", storageClass);
        }
        if (!(overcommit >= 1.0 && overcommit <= 100.0)) {
            throw DomainException.invalid("pool '" + name + "' overcommit " + overcommit + " must be between 1.0 and 100");
        }
    }

    /** The key the guide's status JSON uses: {@code k8s} becomes {@code k8s_pool}. */
    public String statusKey() {
        return name.replace('-', '_') + "_pool";
    }

    /** Directory name under a server root, without the leading slash. */
    public String directory() {
        return path.substring(1);
    }
}
