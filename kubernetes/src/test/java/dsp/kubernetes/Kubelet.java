package dsp.kubernetes;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.stream.Stream;

/** What the kubelet does to a volume's files, where our tests need it. */
final class Kubelet {

    private Kubelet() {
    }

    /**
     * fsGroup at mount, as pkg/volume/volume_linux.go SetVolumeOwnership does for a local volume:
     * every file gets the group and group read/write, every directory also group execute and setgid.
     */
    static void applyFsGroup(Path volume, int gid) throws IOException {
        try (Stream<Path> all = Files.walk(volume)) {
            for (Path p : all.toList()) {
                if (Files.isSymbolicLink(p)) {
                    continue;
                }
                Files.setAttribute(p, "unix:gid", gid, LinkOption.NOFOLLOW_LINKS);
                int mode = (Integer) Files.getAttribute(p, "unix:mode");
                int mask = Files.isDirectory(p) ? 0660 | 0110 | 02000 : 0660;
                Files.setAttribute(p, "unix:mode", (mode | mask) & 07777);
            }
        }
    }
}
