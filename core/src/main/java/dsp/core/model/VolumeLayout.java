package dsp.core.model;

/**
 * Where a volume's data sits inside its pool's directory, the same on every node and in every
 * mode: a directory volume is {@code <name>/}, a qcow2 disk {@code <name>.qcow2}, a raw disk
 * {@code <name>/disk.img} (KubeVirt's layout).
 */
public final class VolumeLayout {

    private VolumeLayout() {
    }

    /** The data's path relative to the pool directory. */
    public static String relativePath(Allocation a) {
        return switch (a.format()) {
            case DIRECTORY -> a.name();
            case QCOW2 -> a.name() + ".qcow2";
            case RAW -> a.name() + "/disk.img";
        };
    }

    /** The path as the node sees it, e.g. {@code /vm-storage-pool/vm-1.qcow2}. */
    public static String nodePath(String poolPath, Allocation a) {
        return poolPath + "/" + relativePath(a);
    }
}
