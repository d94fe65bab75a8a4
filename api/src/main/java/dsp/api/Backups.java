package dsp.api;

import dsp.core.operation.Operations;
import java.io.InputStream;
import java.util.Optional;

/**
 * What the backup and restore endpoints call: where backups of the whole state are written and read
 * back, and how a backup sent to a running server is put in place (standalone: zip files under the data dir).
 */
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

    /** A backup sent to the server, kept (under a name only the server knows) until it is restored or refused. */
    record Received(String name, long bytes) {
    }

    /**
     * What a restore put in place.
     *
     * @param recreated volumes made again without their data (the backup did not hold it)
     * @param setAside  the directory under the data dir that holds what was there before, when a forced restore set it aside
     */
    record Restoration(int servers, int volumes, int vms, int templates, int disks, int recreated, Optional<String> setAside) {
    }

    /** Keeps a backup's bytes as they arrive (the body of a restore request, however large). */
    Received receive(InputStream body);

    /**
     * Puts a received backup in place of what the server holds, then forgets the upload. Refuses
     * (INVALID) what is not a whole backup of this version and mode, and (CONFLICT) a server that
     * holds anything beyond what a fresh start has unless {@code force}, which sets it aside
     * instead (nothing is deleted). Nothing changes before {@code checked} is called.
     */
    Restoration restore(Received backup, boolean force, Runnable checked, Operations.Progress progress);
}
