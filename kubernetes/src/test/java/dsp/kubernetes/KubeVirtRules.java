package dsp.kubernetes;

import com.fasterxml.jackson.databind.JsonNode;
import dsp.node.QemuImg;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Function;

/**
 * What KubeVirt does with a VirtualMachine's hostDisk volumes, as rules a test can check: its
 * admission webhook (pkg/virt-api/webhooks: path required, type Disk or DiskOrCreate, capacity
 * only with DiskOrCreate; every disk names a volume) and its launcher (the domain converter hands
 * a hostDisk to QEMU with driver type raw, and for type Disk it does not change the file's owner,
 * so QEMU, uid 107, must own it). The file is looked up on the node the VM is pinned to.
 */
public final class KubeVirtRules {

    private KubeVirtRules() {
    }

    /** @param nodeRoot a node's "/" in the test */
    public static List<String> violations(JsonNode vm, Function<String, Path> nodeRoot, QemuImg qemu) throws IOException {
        List<String> out = new ArrayList<>();
        JsonNode pod = vm.at("/spec/template/spec");
        String node = pod.at("/nodeSelector").path("kubernetes.io/hostname").asText(null);
        if (node == null) {
            out.add("not pinned to a node (nodeSelector kubernetes.io/hostname): a hostDisk lives on one node");
        }
        Set<String> volumes = new HashSet<>();
        for (JsonNode v : pod.path("volumes")) {
            volumes.add(v.path("name").asText());
            JsonNode hd = v.path("hostDisk");
            if (hd.isMissingNode()) {
                continue;
            }
            String path = hd.path("path").asText("");
            String type = hd.path("type").asText("");
            if (path.isEmpty()) {
                out.add("hostDisk path is required");
            }
            if (!type.equals("Disk") && !type.equals("DiskOrCreate")) {
                out.add("hostDisk type '" + type + "' is invalid, allowed are 'Disk' or 'DiskOrCreate'");
            }
            if (type.equals("Disk") && hd.has("capacity")) {
                out.add("hostDisk capacity is allowed only with type DiskOrCreate");
            }
            if (node == null || path.isEmpty()) {
                continue;
            }
            Path file = nodeRoot.apply(node).resolve(path.substring(1));
            if (!Files.isRegularFile(file)) {
                out.add("hostDisk " + path + " does not exist on node " + node);
                continue;
            }
            String format = qemu.info(file, true).path("format").asText();
            if (!format.equals("raw")) {
                out.add("hostDisk " + path + " is " + format + "; KubeVirt hands it to QEMU as raw, so the VM would not boot");
            }
            if (type.equals("Disk") && (Integer) Files.getAttribute(file, "unix:uid") != 107) {
                out.add("hostDisk " + path + " is owned by uid " + Files.getAttribute(file, "unix:uid") + ", not QEMU's 107");
            }
        }
        for (JsonNode d : pod.at("/domain/devices/disks")) {
            if (!volumes.contains(d.path("name").asText())) {
                out.add("disk " + d.path("name").asText() + " names no volume");
            }
        }
        return out;
    }
}
