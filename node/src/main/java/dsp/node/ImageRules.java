package dsp.node;

import com.fasterxml.jackson.databind.JsonNode;
import dsp.core.DomainException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * What every image that becomes a template must be, whether it was a local file or a download:
 * qcow2 or raw, and self-contained: nothing in {@code qemu-img info --output=json} may point
 * outside it (a backing file, a qcow2 external data file, a child node other than its own file, a
 * {@code json:}, {@code nbd:} or {@code http:} style name), and it is not encrypted. The check
 * fails closed: a format-specific option this code does not know is refused, as is an image that
 * qemu-img cannot read, because qemu would read a file outside the pool when a disk is made from it.
 */
public final class ImageRules {

    /** qcow2 format-specific options that name nothing outside the image, as qemu-img 5 to 9 print them. */
    private static final Set<String> QCOW2_SELF_CONTAINED = Set.of("compat", "compression-type", "lazy-refcounts", "refcount-bits",
            "corrupt", "extended-l2", "bitmaps", "data-file-raw");
    /** Top-level fields of qemu-img info that say nothing about other files. */
    private static final Set<String> PLAIN_FIELDS = Set.of("virtual-size", "filename", "cluster-size", "format", "actual-size",
            "dirty-flag", "format-specific", "snapshots", "encrypted", "children");
    private static final Map<String, String> BACKING_FIELDS = Map.of("backing-filename", "", "full-backing-filename", "",
            "backing-filename-format", "", "backing-image", "");
    /** {@code json:{...}}, {@code nbd://}, {@code http:}, {@code file:}...: a name qemu would not take as a plain path. */
    private static final Pattern PROTOCOL = Pattern.compile("^[A-Za-z][A-Za-z0-9+.-]*:");

    private ImageRules() {
    }

    /** @return the image's format ({@code qcow2} or {@code raw}), or a clear INVALID error saying what is wrong */
    public static String requireSelfContained(QemuImg qemu, Path image, String what) {
        JsonNode info;
        try {
            info = qemu.info(image, true);
        } catch (DomainException unreadable) {
            if (unreadable.code() != DomainException.Code.STORAGE_FAILED) {
                throw unreadable;
            }
            // a crafted header (an external data file without its name, an unknown incompatible feature...) is the sender's
            // problem, and qemu-img's words would name host paths
            throw DomainException.invalid(what + " is not an image qemu-img can open as qcow2 or raw; check it with qemu-img check");
        }
        String format = info.path("format").asText();
        if (!format.equals("qcow2") && !format.equals("raw")) {
            throw DomainException.invalid(what + " is " + (format.isEmpty() ? "of no known format" : format)
                    + "; templates must be qcow2 or raw");
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
     * Everything in {@code qemu-img info} that points outside the image or that this code cannot
     * vouch for: backing files (any spelling), an external data file, a file-valued or unknown
     * format-specific option, a child node other than the image's own file, a name with a protocol
     * prefix, an unknown top-level field, encryption, a corrupt image. Empty means self-contained.
     */
    public static List<String> references(JsonNode info) {
        List<String> found = new ArrayList<>();
        for (Iterator<String> keys = info.fieldNames(); keys.hasNext(); ) {
            String key = keys.next();
            if (BACKING_FIELDS.containsKey(key) || key.startsWith("backing")) {
                found.add("a backing file");
            } else if (!PLAIN_FIELDS.contains(key)) {
                found.add("an image property this server does not know (" + key + ")");
            }
        }
        String filename = info.path("filename").asText();
        if (PROTOCOL.matcher(filename).find()) {
            found.add("a name that is not a plain file (" + filename.split(":", 2)[0] + ":)");
        }
        JsonNode specific = info.path("format-specific");
        if (!specific.isMissingNode()) {
            String type = specific.path("type").asText();
            JsonNode data = specific.path("data");
            for (Iterator<String> keys = data.fieldNames(); keys.hasNext(); ) {
                String key = keys.next();
                if (key.equals("data-file") || key.equals("data-file-raw") && data.get(key).asBoolean()) {
                    found.add("an external data file");
                } else if (key.equals("encrypt") || key.equals("encryption")) {
                    found.add("encryption");
                } else if (key.equals("corrupt") && data.get(key).asBoolean()) {
                    found.add("corruption (qemu-img marked it corrupt)");
                } else if (!type.equals("qcow2") || !QCOW2_SELF_CONTAINED.contains(key)) {
                    found.add("an option this server does not know (" + key + ")");
                }
            }
            if (!type.equals("qcow2") && !type.equals(info.path("format").asText())) {
                found.add("format-specific data of another format (" + type + ")");
            }
        }
        if (info.path("encrypted").asBoolean(false)) {
            found.add("encryption");
        }
        for (JsonNode child : info.path("children")) {
            String childName = child.path("name").asText();
            if (!childName.equals("file")) {
                found.add("a '" + childName + "' child");
            } else {
                String childFile = child.at("/info/filename").asText();
                if (PROTOCOL.matcher(childFile).find()) {
                    found.add("a file that is not a plain file (" + childFile.split(":", 2)[0] + ":)");
                }
            }
        }
        return found.stream().distinct().toList();
    }
}
