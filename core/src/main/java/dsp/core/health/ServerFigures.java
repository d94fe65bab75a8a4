package dsp.core.health;

import java.time.Instant;
import java.util.Map;
import java.util.Optional;

/**
 * One server's numbers, and whether its disk keeps the guide's prerequisite: room for its share
 * plus the system reserve (1.8 TB by default).
 *
 * @param pool      the pool it gives its share to, if any
 * @param required  share + reserve: what its disk must hold
 * @param disk      what was last measured on it, if anything was
 */
public record ServerFigures(String server, Optional<String> pool, long share, long required, long allocated,
                            int volumes, int strandedVolumes, Optional<Disk> disk, DiskCheck diskCheck) {

    /** The guide's prerequisite for one server's disk. */
    public enum DiskCheck {
        /** The disk holds share + reserve. */
        OK,
        /** The disk is smaller than share + reserve. */
        TOO_SMALL,
        /** Several servers share one file system and together declare more than it holds. */
        SHARED_TOO_SMALL,
        /** Not measured yet, or not in a pool. */
        UNKNOWN;

        public String display() {
            return name().toLowerCase().replace('_', ' ');
        }
    }

    /**
     * @param measured    bytes on disk under its pool directories
     * @param volumeBytes bytes on disk per volume, keyed {@code <pool>/<volume>}
     * @param measuredAt  when it was measured or last reported
     */
    public record Disk(long measured, long otherBytes, long filesystemBytes, long filesystemFreeBytes,
                       Map<String, Long> volumeBytes, Optional<Instant> measuredAt) {

        public Disk {
            volumeBytes = Map.copyOf(volumeBytes);
        }
    }
}
