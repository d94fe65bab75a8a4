package dsp.config;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dsp.core.DomainException;
import dsp.core.model.PlacementPolicy;
import dsp.core.model.PoolCatalog;
import dsp.core.model.PoolDefinition;
import dsp.core.model.Quantity;
import dsp.core.model.ReclaimPolicy;
import dsp.core.model.Thresholds;
import dsp.core.vm.ServerType;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Set;

/**
 * Reads the pool configuration (YAML). Everything is optional: an empty file is the guide's
 * defaults. A third pool is one more entry under {@code pools}. Unknown keys are errors, so a
 * typo never silently falls back to a default.
 *
 * <pre>
 * reserve: 300G
 * thresholds: {warning: 75, critical: 90}
 * placement: least-allocated      # or bin-packing
 * pools:
 *   - name: k8s
 *     label: k8s                  # servers labelled pool=k8s; defaults to the name
 *     share: 1.5T                 # per server; GB number or quantity (1500G, 1.5T, 1397Gi)
 *     storage-class: k8s-pool-storage
 *     path: /k8s-storage-pool
 *     reclaim-policy: Delete
 *     overcommit: 1.0
 * </pre>
 */
public final class PoolConfig {

    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
    private static final Set<String> TOP = Set.of("reserve", "thresholds", "placement", "pools", "vm-pool", "server-types");
    private static final Set<String> SERVER_TYPE = Set.of("name", "cpu", "memory", "storage");

    /** Everything the configuration file defines. */
    public record Configuration(PoolCatalog catalog, String vmPool, List<ServerType> serverTypes) {

        public static Configuration guideDefaults() {
            return new Configuration(PoolCatalog.guideDefaults(), "vm", ServerType.HETZNER);
        }
    }
    private static final Set<String> POOL = Set.of("name", "label", "share", "storage-class", "path", "reclaim-policy", "overcommit");
    private static final Set<String> THRESHOLDS = Set.of("warning", "critical");

    private PoolConfig() {
    }

    public static Configuration load(Path file) {
        String text;
        try {
            text = Files.readString(file);
        } catch (NoSuchFileException e) {
            throw DomainException.invalid("configuration file " + file + " does not exist");
        } catch (IOException e) {
            throw DomainException.invalid("cannot read configuration file " + file + ": " + e.getMessage());
        }
        try {
            return parseAll(text);
        } catch (DomainException e) {
            throw DomainException.invalid(file + ": " + e.getMessage());
        }
    }

    /** The pool catalog alone. */
    public static PoolCatalog parse(String yaml) {
        return parseAll(yaml).catalog();
    }

    public static Configuration parseAll(String yaml) {
        JsonNode root = tree(yaml);
        PoolCatalog catalog = catalog(root);
        String vmPool = root != null && root.has("vm-pool") ? root.get("vm-pool").asText() : "vm";
        catalog.find(vmPool).orElseThrow(() -> DomainException.invalid("vm-pool '" + vmPool + "' is not one of the configured pools"));
        List<ServerType> types = ServerType.HETZNER;
        if (root != null && root.has("server-types")) {
            JsonNode list = root.get("server-types");
            if (!list.isArray() || list.isEmpty()) {
                throw DomainException.invalid("'server-types' must be a non-empty list");
            }
            types = new ArrayList<>();
            for (JsonNode t : list) {
                requireObject(t, "server type", SERVER_TYPE);
                int cpu = (int) number(t, "cpu", -1);
                int memory = (int) number(t, "memory", -1);
                int storage = (int) number(t, "storage", -1);
                String name = t.path("name").asText("");
                dsp.core.model.Names.require("server type", name);
                if (cpu <= 0 || memory <= 0 || storage <= 0) {
                    throw DomainException.invalid("server type " + name + " needs positive cpu, memory (GB) and storage (GB)");
                }
                types.add(new ServerType(name, cpu, memory, storage));
            }
        }
        return new Configuration(catalog, vmPool, List.copyOf(types));
    }

    private static JsonNode tree(String yaml) {
        JsonNode root;
        try {
            root = YAML.readTree(yaml);
        } catch (JsonProcessingException e) {
            throw DomainException.invalid("not valid YAML: " + e.getOriginalMessage());
        }
        if (root == null || root.isMissingNode() || root.isNull()) {
            return null;
        }
        requireObject(root, "configuration", TOP);
        return root;
    }

    private static PoolCatalog catalog(JsonNode root) {
        PoolCatalog defaults = PoolCatalog.guideDefaults();
        if (root == null) {
            return defaults;
        }
        long reserve = root.has("reserve") ? size(root.get("reserve"), "reserve") : defaults.reserveBytes();
        Thresholds thresholds = defaults.thresholds();
        if (root.has("thresholds")) {
            JsonNode t = root.get("thresholds");
            requireObject(t, "thresholds", THRESHOLDS);
            thresholds = new Thresholds(
                    number(t, "warning", defaults.thresholds().warningPercent()),
                    number(t, "critical", defaults.thresholds().criticalPercent()));
        }
        PlacementPolicy placement = root.has("placement") ? PlacementPolicy.parse(root.get("placement").asText()) : defaults.placement();
        List<PoolDefinition> pools = defaults.pools();
        if (root.has("pools")) {
            JsonNode list = root.get("pools");
            if (!list.isArray() || list.isEmpty()) {
                throw DomainException.invalid("'pools' must be a non-empty list");
            }
            pools = new ArrayList<>();
            for (JsonNode p : list) {
                pools.add(pool(p, defaults));
            }
        }
        return new PoolCatalog(pools, reserve, thresholds, placement);
    }

    private static PoolDefinition pool(JsonNode p, PoolCatalog defaults) {
        requireObject(p, "pool entry", POOL);
        if (!p.hasNonNull("name")) {
            throw DomainException.invalid("every pool needs a 'name'");
        }
        String name = p.get("name").asText();
        // the guide's pools keep their guide settings unless overridden
        PoolDefinition base = defaults.find(name).orElse(null);
        String label = p.has("label") ? p.get("label").asText() : name;
        long share = p.has("share") ? size(p.get("share"), "pool " + name + " share")
                : base != null ? base.shareBytes() : PoolCatalog.GUIDE_SHARE;
        String storageClass = p.has("storage-class") ? p.get("storage-class").asText()
                : base != null ? base.storageClass() : null;
        String path = p.has("path") ? p.get("path").asText() : base != null ? base.path() : "/" + name + "-storage-pool";
        ReclaimPolicy reclaim = p.has("reclaim-policy") ? ReclaimPolicy.parse(p.get("reclaim-policy").asText())
                : base != null ? base.reclaimPolicy() : ReclaimPolicy.RETAIN;
        double overcommit = number(p, "overcommit", 1.0);
        return new PoolDefinition(name, label, share, storageClass, path, reclaim, overcommit);
    }

    private static void requireObject(JsonNode node, String what, Set<String> allowed) {
        if (!node.isObject()) {
            throw DomainException.invalid(what + " must be a mapping");
        }
        for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
            String key = it.next();
            if (!allowed.contains(key)) {
                throw DomainException.invalid("unknown key '" + key + "' in " + what + "; known keys are " + allowed.stream().sorted().toList());
            }
        }
    }

    private static long size(JsonNode n, String what) {
        if (n.isNumber()) {
            return Quantity.fromGb(n.asDouble());
        }
        if (n.isTextual()) {
            return Quantity.parseGbOrQuantity(n.asText());
        }
        throw DomainException.invalid(what + " must be a size such as 1.5T or 300G");
    }

    private static double number(JsonNode parent, String field, double fallback) {
        JsonNode n = parent.get(field);
        if (n == null) {
            return fallback;
        }
        if (!n.isNumber()) {
            throw DomainException.invalid("'" + field + "' must be a number");
        }
        return n.asDouble();
    }
}
