package dsp.node;

import com.fasterxml.jackson.databind.JsonNode;
import dsp.core.DomainException;
import java.nio.file.Path;

/**
 * What every image that becomes a template must be, whether it was a local file or a download:
 * qcow2 or raw, and self-contained: no backing file and no external data file (either would make
 * qemu read a file outside the pool when a disk is made from it).
 */
public final class ImageRules {

    private ImageRules() {
    }

    /** @return the image's format ({@code qcow2} or {@code raw}), or a clear INVALID error saying what is wrong */
    public static String requireSelfContained(QemuImg qemu, Path image, String what) {
        JsonNode info = qemu.info(image, true);
        String format = info.path("format").asText();
        if (!format.equals("qcow2") && !format.equals("raw")) {
            throw DomainException.invalid(what + " is " + format + "; templates must be qcow2 or raw");
        }
        if (info.has("backing-filename") || info.has("full-backing-filename")) {
            throw DomainException.invalid(what + " has a backing file; flatten it first (qemu-img convert -O qcow2 in.qcow2 out.qcow2)");
        }
        if (!info.at("/format-specific/data/data-file").isMissingNode()) {
            throw DomainException.invalid(what + " keeps its data in an external data file; convert it to a self-contained image first "
                    + "(qemu-img convert -O qcow2 in.qcow2 out.qcow2)");
        }
        return format;
    }
}
