package dsp.api;

import dsp.core.operation.Operations;
import java.io.InputStream;

/** What the backup endpoints call: where backups of the whole state are written and read back (standalone: zip files under the data dir). */
public interface Backups {

    /** A backup as written: its name (to download it) and what it holds. */
    record Written(String name, long bytes, int servers, int volumes, int vms, int templates, int disks) {
    }

    /**
     * Writes a consistent backup while the server keeps serving.
     *
     * @param withDisks also the disks of stopped VMs, flattened from their backing chain; a running
     *                  VM's disk is refused (CONFLICT)
     */
    Written write(boolean withDisks, Operations.Progress progress);

    /** The backup's bytes; NOT_FOUND when there is no such backup. */
    InputStream open(String name);

    void delete(String name);
}
