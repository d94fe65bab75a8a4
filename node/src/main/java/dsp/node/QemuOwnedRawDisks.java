package dsp.node;

import dsp.core.DomainException;
import dsp.core.model.Allocation;
import dsp.core.model.VolumeFormat;
import dsp.core.port.VolumeMaker;
import dsp.core.vm.Template;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Raw VM disks ({@code <name>/disk.img}, KubeVirt's layout) owned by the user QEMU runs as in
 * KubeVirt's virt-launcher (uid/gid 107): KubeVirt opens a hostDisk of type {@code Disk} as that
 * user and does not change its owner. Everything else is the wrapped engine's.
 */
public final class QemuOwnedRawDisks implements VolumeMaker {

    /** The qemu user of KubeVirt's virt-launcher image. */
    public static final int QEMU_UID = 107;

    private final VolumeMaker engine;
    private final int uid;

    public QemuOwnedRawDisks(VolumeMaker engine, int uid) {
        this.engine = engine;
        this.uid = uid;
    }

    @Override
    public String make(Allocation a, Optional<Template> template) {
        String path = engine.make(a, template);
        own(a, Path.of(path));
        return path;
    }

    @Override
    public void grow(Allocation a, long newSizeBytes) {
        engine.grow(a, newSizeBytes);
        own(a, Path.of(engine.pathOf(a)));
    }

    private void own(Allocation a, Path disk) {
        if (a.format() != VolumeFormat.RAW) {
            return;
        }
        try {
            if ((Integer) Files.getAttribute(disk, "unix:uid", LinkOption.NOFOLLOW_LINKS) != uid) {
                Files.setAttribute(disk, "unix:uid", uid, LinkOption.NOFOLLOW_LINKS);
                Files.setAttribute(disk, "unix:gid", uid, LinkOption.NOFOLLOW_LINKS);
            }
        } catch (IOException e) {
            throw DomainException.storageFailed("cannot give " + disk.getFileName() + " of " + a.name() + " to QEMU's user " + uid + ": " + e.getMessage());
        }
    }

    @Override
    public void delete(Allocation a) {
        engine.delete(a);
    }

    @Override
    public boolean exists(Allocation a) {
        return engine.exists(a);
    }

    @Override
    public long presentedBytes(Allocation a) {
        return engine.presentedBytes(a);
    }

    @Override
    public long measuredBytes(Allocation a) {
        return engine.measuredBytes(a);
    }

    @Override
    public String pathOf(Allocation a) {
        return engine.pathOf(a);
    }

    @Override
    public int sweepTemporaries() {
        return engine.sweepTemporaries();
    }
}
