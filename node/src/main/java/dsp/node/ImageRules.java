package dsp.node;

import com.fasterxml.jackson.databind.JsonNode;
import dsp.core.DomainException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

/**
 * What every image that becomes a template must be, whether it was a local file or a download:
 * qcow2 or raw, and self-contained: no backing file, no external data file, nothing else in
 * {@code qemu-img info} that points outside it (any of these would make qemu read a file outside
 * the pool when a disk is made from it), and not encrypted.
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
        List<String> outside = references(info);
        if (outside.contains("a backing file")) {
            throw DomainException.invalid(what + " has a backing file; flatten it first (qemu-img convert -O qcow2 in.qcow2 out.qcow2)");
        }
        if (outside.contains("an external data file")) {
            throw DomainException.invalid(what + " keeps its data in an external data file; convert it to a self-contained image first "
                    + "(qemu-img convert -O qcow2 in.qcow2 out.qcow2)");
        }
        if (!outside.isEmpty()) {
            throw DomainException.invalid(what + " is not self-contained: it has " + String.join(", ", outside)
                    + "; convert it to a plain image first (qemu-img convert -O qcow2 in.qcow2 out.qcow2)");
        }
        return format;
    }

    /**
     * What in {@code qemu-img info} points outside the image: a backing file, an external data file
     * (qcow2 {@code data_file}), any other file-valued format option, a child node other than the
     * image's own file; and encryption, which needs a secret from outside too.
     */
    public static List<String> references(JsonNode info) {
        List<String> found = new ArrayList<>();
        for (String key : List.of("backing-filename", "full-backing-filename", "backing-filename-format", "backing-image")) {
            if (info.has(key)) {
                found.add("a backing file");
                break;
            }
        }
        JsonNode specific = info.path("format-specific").path("data");
        for (Iterator<String> keys = specific.fieldNames(); keys.hasNext(); ) {
            String key = keys.next();
            if (key.equals("data-file") || key.equals("data-file-raw") && specific.get(key).asBoolean()) {
                found.add("an external data file");
            } else if (key.contains("file") && !key.equals("data-file-raw")) {
                found.add("a reference to a file (" + key + ")");
            } else if (key.equals("encrypt") || key.equals("encryption")) {
                found.add("encryption");
            }
        }
        if (info.path("encrypted").asBoolean(false)) {
            found.add("encryption");
        }
        for (JsonNode child : info.path("children")) {
            String childName = child.path("name").asText();
            if (!childName.equals("file")) {
                found.add("a '" + childName + "' child");
            }
        }
        return found.stream().distinct().toList();
    }
}
