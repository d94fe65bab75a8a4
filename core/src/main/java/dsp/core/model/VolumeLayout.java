package dsp.core.model;

/**
 * Where a volume's data sits inside its pool's directory, the same on every node and in every
 * mode: a directory volume is {@code <name>/}, a qcow2 disk {@code <name>.qcow2}, a raw disk
 * {@code <name>/disk.img} (KubeVirt's layout).
 */
public final class VolumeLayout {

    /** The servers' read-only template copies: {@code <pool>/templates/<name>.qcow2}. */
    public static final String TEMPLATES = "templates";
    /** Where cleanup moves orphans: {@code <pool>/.trash/<time>/}. */
    public static final String TRASH = ".trash";
    /** Work in progress, swept at start-up: {@code <pool>/.tmp-<id>...}. */
    public static final String TEMPORARY_PREFIX = ".tmp-";

    private VolumeLayout() {
    }

    /**
     * A name a volume may have: a valid name that is none of the entries the layout keeps for
     * itself, so a volume's data can never be, or be undone onto, the template copies or the trash.
     */
    public static String requireVolumeName(String name) {
        Names.require("volume", name);
        if (isReserved(name)) {
            throw dsp.core.DomainException.invalid("volume name '" + name + "' is used by the pool directory itself ("
                    + TEMPLATES + "/ holds the template copies); choose another name");
        }
        return name;
    }

    /** True for names the layout owns; hidden names ({@code .trash}, {@code .tmp-}) are not valid volume names anyway. */
    public static boolean isReserved(String name) {
        return name.equals(TEMPLATES) || name.startsWith(".");
    }

    /** The volume's top-level entry in the pool directory: {@code <name>} or {@code <name>.qcow2}. */
    public static String entry(Allocation a) {
        return relativePath(a).split("/")[0];
    }

    /**
     * The volume a top-level entry of a pool directory holds ({@link #entry}'s inverse); temporaries
     * and trash hold none.
     */
    public static java.util.Optional<String> volumeOf(String entry) {
        String name = entry.endsWith(".qcow2") ? entry.substring(0, entry.length() - ".qcow2".length()) : entry;
        return Names.isValid(name) ? java.util.Optional.of(name) : java.util.Optional.empty();
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
