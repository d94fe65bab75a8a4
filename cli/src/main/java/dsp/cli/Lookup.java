package dsp.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dsp.cli.client.ApiClient;
import dsp.cli.client.CliFailure;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * Finds the VM or volume a user named: by id, or by name (with the namespace or pool where the
 * name alone is not enough). A name that fits several is an error listing them, never a guess.
 */
final class Lookup {

    private Lookup() {
    }

    /** A VM by id, or by name within {@code namespace} when given. */
    static JsonNode vm(ApiClient client, String ref, Optional<String> namespace) {
        List<JsonNode> matches = new ArrayList<>();
        for (JsonNode vm : client.get("/api/v1/vms").path("vms")) {
            boolean byId = vm.path("id").asText().equals(ref);
            boolean byName = vm.path("name").asText().equals(ref)
                    && namespace.map(n -> n.equals(vm.path("namespace").asText())).orElse(true);
            if (byId || byName) {
                matches.add(vm);
            }
        }
        return one("VM", ref, namespace.map(n -> " in namespace " + n).orElse(""), matches,
                vm -> vm.path("namespace").asText() + "/" + vm.path("name").asText() + " (id " + vm.path("id").asText() + ")",
                "--namespace NAMESPACE");
    }

    /** A volume by id, or by name within {@code pool} when given. */
    static JsonNode volume(ApiClient client, String ref, Optional<String> pool) {
        List<JsonNode> matches = new ArrayList<>();
        for (JsonNode v : client.get("/api/v1/volumes").path("volumes")) {
            boolean byId = v.path("id").asText().equals(ref);
            boolean byName = v.path("name").asText().equals(ref) && pool.map(p -> p.equals(v.path("pool").asText())).orElse(true);
            if (byId || byName) {
                matches.add(v);
            }
        }
        return one("volume", ref, pool.map(p -> " in pool " + p).orElse(""), matches,
                v -> v.path("name").asText() + " in pool " + v.path("pool").asText() + " on " + v.path("node").asText()
                        + " (id " + v.path("id").asText() + ")",
                "--pool POOL");
    }

    private static JsonNode one(String what, String ref, String where, List<JsonNode> matches,
                                java.util.function.Function<JsonNode, String> describe, String narrow) {
        if (matches.size() == 1) {
            return matches.get(0);
        }
        if (matches.isEmpty()) {
            throw new CliFailure(CliFailure.REFUSED, "no " + what + " has the id or name '" + ref + "'" + where
                    + " (poolctl " + (what.equals("VM") ? "vms" : "volumes") + " list shows them)");
        }
        throw new CliFailure(CliFailure.USAGE, "'" + ref + "' names " + matches.size() + " " + what + "s: "
                + matches.stream().map(describe).collect(Collectors.joining(", ")) + "; say which with " + narrow + " or the id");
    }
}
