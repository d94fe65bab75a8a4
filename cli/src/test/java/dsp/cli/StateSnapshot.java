package dsp.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * What a refused request must leave exactly as it was: the records as the API shows them (volumes,
 * VMs, the inventory, templates) and every file under the data dir with its type and size. The
 * database and the audit trail are left out: they record refusals too.
 */
record StateSnapshot(String volumes, String vms, String servers, String templates, Map<String, String> files) {

    static StateSnapshot take(Http http, Path data) {
        Map<String, String> files = new TreeMap<>();
        try (Stream<Path> walk = Files.walk(data)) {
            walk.forEach(p -> {
                String rel = data.relativize(p).toString();
                if (rel.startsWith("pools.db") || rel.equals("audit.log")) {
                    return;
                }
                try {
                    files.put(rel, Files.isSymbolicLink(p) ? "link" : Files.isDirectory(p) ? "dir" : String.valueOf(Files.size(p)));
                } catch (IOException gone) {
                    files.put(rel, "vanished");
                }
            });
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return new StateSnapshot(read(http, "/api/v1/volumes").toString(), read(http, "/api/v1/vms").toString(), servers(http),
                read(http, "/api/v1/templates").get("templates").toString(), files);
    }

    private static JsonNode read(Http http, String path) {
        Http.Reply r = http.get(path);
        if (r.status() != 200 || r.json() == null) {
            throw new AssertionError(path + " -> " + r.status() + " " + r.body());
        }
        return r.json();
    }

    /** The inventory without its measured figures, which move on their own. */
    private static String servers(Http http) {
        List<String> out = new ArrayList<>();
        for (JsonNode s : read(http, "/api/v1/servers").get("servers")) {
            out.add(s.get("name").asText() + "=" + s.get("pool") + "/" + s.get("capacity_gb") + "/" + s.get("used_capacity_gb"));
        }
        return out.toString();
    }

    JsonNode vmList() {
        return parse(vms).get("vms");
    }

    JsonNode volumeList() {
        return parse(volumes).get("volumes");
    }

    /** Servers whose name starts with {@code prefix}, as objects with a {@code name}. */
    JsonNode serversNamed(String prefix) {
        com.fasterxml.jackson.databind.node.ArrayNode out = new com.fasterxml.jackson.databind.ObjectMapper().createArrayNode();
        for (String s : servers.substring(1, servers.length() - 1).split(", ")) {
            String name = s.split("=", 2)[0];
            if (name.startsWith(prefix)) {
                out.addObject().put("name", name);
            }
        }
        return out;
    }

    JsonNode templateList() {
        return parse(templates);
    }

    private static JsonNode parse(String json) {
        try {
            return new com.fasterxml.jackson.databind.ObjectMapper().readTree(json);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
