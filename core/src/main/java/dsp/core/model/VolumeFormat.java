package dsp.core.model;

import dsp.core.DomainException;

/** How an allocation is laid out on its server's disk. */
public enum VolumeFormat {
    /** A directory (k8s pool volumes; a PersistentVolume's local path). */
    DIRECTORY,
    /** A qcow2 image, usually an overlay on a template (libvirt-style VM disks). */
    QCOW2,
    /** A raw {@code disk.img} (KubeVirt-style VM disks). */
    RAW;

    public String display() {
        return name().toLowerCase();
    }

    public static VolumeFormat parse(String text) {
        for (VolumeFormat f : values()) {
            if (f.display().equals(text)) {
                return f;
            }
        }
        throw DomainException.invalid("format '" + text + "' is unknown; use directory, qcow2 or raw");
    }
}
