package dsp.kubernetes.crd;

import dsp.kubernetes.Names;
import java.util.Optional;

/**
 * The cleanup protocol on a Node: the API writes a request ({@value #REQUESTED}); the node's
 * agent cleans its own disk, then writes its {@link NodeCleanupReport} ({@value #REPORT}) and the
 * request it answered ({@value #DONE}). A newer request replaces an older one not yet answered.
 *
 * @param run the cleanup run this node's part belongs to
 */
public record NodeCleanupRequest(String run, boolean dryRun) {

    public static final String REQUESTED = Names.GROUP + "/cleanup-requested";
    public static final String DONE = Names.GROUP + "/cleanup-done";
    public static final String REPORT = Names.GROUP + "/cleanup-report";
    private static final String DRY_RUN = ";dry-run";

    /** The annotation value. */
    public String encode() {
        return run + (dryRun ? DRY_RUN : "");
    }

    public static Optional<NodeCleanupRequest> parse(String value) {
        if (value == null || value.isBlank()) {
            return Optional.empty();
        }
        boolean dry = value.endsWith(DRY_RUN);
        return Optional.of(new NodeCleanupRequest(dry ? value.substring(0, value.length() - DRY_RUN.length()) : value, dry));
    }
}
