package dsp.config;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonStreamContext;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.exc.InputCoercionException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.cfg.CoercionAction;
import com.fasterxml.jackson.databind.cfg.CoercionInputShape;
import com.fasterxml.jackson.databind.type.LogicalType;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dsp.config.ConfigFile.PoolEntry;
import dsp.config.ConfigFile.ServerTypeEntry;
import dsp.core.DomainException;
import dsp.core.model.Names;
import dsp.core.model.PlacementPolicy;
import dsp.core.model.PoolCatalog;
import dsp.core.model.PoolDefinition;
import dsp.core.model.ReclaimPolicy;
import dsp.core.model.Thresholds;
import dsp.core.vm.ServerType;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * Reads the pool configuration (YAML) into {@link ConfigFile}'s records. Everything is optional:
 * an empty file is the guide's defaults. A third pool is one more entry under {@code pools}.
 * Reading is strict, and every mistake is one line that names the key: an unknown key (a typo
 * never silently falls back to a default), a value of the wrong type ({@code cpu: 2.5} is not
 * truncated to 2, {@code warning: "75"} is not a number, {@code label: 1.10} is not the text 1.1),
 * an empty value, a key given twice.
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
 * vm-pool: vm
 * server-types:
 *   - {name: cx21, cpu: 2, memory: 4, storage: 40}
 * </pre>
 */
public final class PoolConfig {

    private static final ObjectMapper YAML = strict();

    /** Everything the configuration file defines. */
    public record Configuration(PoolCatalog catalog, String vmPool, List<ServerType> serverTypes) {

        public static Configuration guideDefaults() {
            return new Configuration(PoolCatalog.guideDefaults(), "vm", ServerType.HETZNER);
        }
    }

    private PoolConfig() {
    }

    private static ObjectMapper strict() {
        ObjectMapper m = YAMLMapper.builder()
                .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
                .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
                .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
                .disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT)
                .disable(MapperFeature.ALLOW_COERCION_OF_SCALARS)
                .propertyNamingStrategy(PropertyNamingStrategies.KEBAB_CASE)
                .build();
        m.coercionConfigDefaults()
                .setCoercion(CoercionInputShape.Integer, CoercionAction.Fail)
                .setCoercion(CoercionInputShape.Float, CoercionAction.Fail)
                .setCoercion(CoercionInputShape.Boolean, CoercionAction.Fail)
                .setCoercion(CoercionInputShape.EmptyString, CoercionAction.Fail);
        m.coercionConfigFor(LogicalType.Float).setCoercion(CoercionInputShape.Integer, CoercionAction.TryConvert); // warning: 75
        return m;
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
        return configuration(read(yaml).orElse(new ConfigFile(null, null, null, null, null, null)));
    }

    /** The file's records; empty when the file holds nothing but comments. */
    private static Optional<ConfigFile> read(String yaml) {
        try (JsonParser p = YAML.createParser(yaml)) {
            try {
                if (p.nextToken() == null) {
                    return Optional.empty();
                }
                refuseEmptyValues(yaml);
                return Optional.of(YAML.readValue(p, ConfigFile.class));
            } catch (JsonProcessingException e) {
                throw translate(e, p); // while the parser is open: it still knows the value it stood on
            }
        } catch (IOException e) {
            throw DomainException.invalid("cannot read the configuration: " + e.getMessage());
        }
    }

    /** A key with no value ({@code share:}) is a mistake, not a request for the default: leaving the key out is. */
    private static void refuseEmptyValues(String yaml) throws IOException {
        try (JsonParser p = YAML.createParser(yaml)) {
            try {
                for (JsonToken t = p.nextToken(); t != null; t = p.nextToken()) {
                    if (t == JsonToken.VALUE_NULL) {
                        String line = "line " + p.currentTokenLocation().getLineNr() + ": ";
                        throw DomainException.invalid(line + where(p) + " is empty; give it a value or leave the key out");
                    }
                }
            } catch (JsonProcessingException e) {
                throw translate(e, p);
            }
        }
    }

    private static Configuration configuration(ConfigFile file) {
        PoolCatalog catalog = catalog(file);
        String vmPool = Objects.requireNonNullElse(file.vmPool(), "vm");
        catalog.find(vmPool).orElseThrow(() -> DomainException.invalid("vm-pool '" + vmPool + "' is not one of the configured pools"));
        List<ServerType> types = ServerType.HETZNER;
        if (file.serverTypes() != null) {
            if (file.serverTypes().isEmpty()) {
                throw DomainException.invalid("'server-types' must be a non-empty list");
            }
            types = file.serverTypes().stream().map(PoolConfig::serverType).toList();
        }
        return new Configuration(catalog, vmPool, List.copyOf(types));
    }

    private static ServerType serverType(ServerTypeEntry t) {
        String name = Names.require("server type", t.name());
        if (!positive(t.cpu()) || !positive(t.memory()) || !positive(t.storage())) {
            throw DomainException.invalid("server type " + name + " needs positive cpu, memory (GB) and storage (GB)");
        }
        return new ServerType(name, t.cpu(), t.memory(), t.storage());
    }

    private static boolean positive(Integer n) {
        return n != null && n > 0;
    }

    private static PoolCatalog catalog(ConfigFile file) {
        PoolCatalog defaults = PoolCatalog.guideDefaults();
        long reserve = file.reserve() != null ? file.reserve().bytes() : defaults.reserveBytes();
        Thresholds thresholds = defaults.thresholds();
        if (file.thresholds() != null) {
            thresholds = new Thresholds(
                    Objects.requireNonNullElse(file.thresholds().warning(), thresholds.warningPercent()),
                    Objects.requireNonNullElse(file.thresholds().critical(), thresholds.criticalPercent()));
        }
        PlacementPolicy placement = file.placement() != null ? PlacementPolicy.parse(file.placement()) : defaults.placement();
        List<PoolDefinition> pools = defaults.pools();
        if (file.pools() != null) {
            if (file.pools().isEmpty()) {
                throw DomainException.invalid("'pools' must be a non-empty list");
            }
            pools = new ArrayList<>();
            for (PoolEntry p : file.pools()) {
                pools.add(pool(p, defaults));
            }
        }
        return new PoolCatalog(pools, reserve, thresholds, placement);
    }

    private static PoolDefinition pool(PoolEntry p, PoolCatalog defaults) {
        if (p.name() == null) {
            throw DomainException.invalid("every pool needs a 'name'");
        }
        String name = p.name();
        // the guide's pools keep their guide settings unless overridden
        Optional<PoolDefinition> base = defaults.find(name);
        return new PoolDefinition(
                name,
                Objects.requireNonNullElse(p.label(), name),
                p.share() != null ? p.share().bytes() : base.map(PoolDefinition::shareBytes).orElse(PoolCatalog.GUIDE_SHARE),
                p.storageClass() != null ? p.storageClass() : base.map(PoolDefinition::storageClass).orElse(null),
                p.path() != null ? p.path() : base.map(PoolDefinition::path).orElse("/" + name + "-storage-pool"),
                p.reclaimPolicy() != null ? ReclaimPolicy.parse(p.reclaimPolicy())
                        : base.map(PoolDefinition::reclaimPolicy).orElse(ReclaimPolicy.RETAIN),
                Objects.requireNonNullElse(p.overcommit(), 1.0));
    }

    /** Jackson's complaint as one line that names the key and what it must be, never a Java type. */
    private static DomainException translate(JsonProcessingException e, JsonParser p) {
        int lineNr = p.currentTokenLocation().getLineNr();
        String line = lineNr < 1 ? "" : "line " + lineNr + ": ";
        if (e.getCause() instanceof DomainException d) {
            return DomainException.invalid(line + where(e) + ": " + d.getMessage()); // a value the domain refused, e.g. a size of "lots"
        }
        if (e instanceof UnrecognizedPropertyException u) {
            List<JsonMappingException.Reference> path = u.getPath();
            String in = path.size() <= 1 ? "the configuration" : where(path.subList(0, path.size() - 1));
            // no line: Jackson reads a record's whole mapping before it complains, so it stands at the mapping's end
            return DomainException.invalid("unknown key '" + u.getPropertyName() + "' in " + in + "; known keys are "
                    + u.getKnownPropertyIds().stream().map(String::valueOf).sorted().toList());
        }
        if (e instanceof MismatchedInputException m) {
            return DomainException.invalid(line + where(e) + " must be " + expected(m.getTargetType()) + ", not " + found(m));
        }
        if (e instanceof InputCoercionException || e.getCause() instanceof InputCoercionException) {
            return DomainException.invalid(line + where(e) + " is out of range");
        }
        String original = String.valueOf(e.getOriginalMessage());
        if (original.startsWith("Duplicate field '")) {
            String key = original.substring("Duplicate field '".length(), original.indexOf('\'', "Duplicate field '".length()));
            String in = where(p.getParsingContext().getParent());
            return DomainException.invalid(line + (in.isEmpty() ? "" : in + ".") + key + " is given twice");
        }
        return DomainException.invalid("not valid YAML: " + original);
    }

    /** Where in the file: {@code pools[1].share}, from the mapping path or, failing that, where the parser stood. */
    private static String where(JsonProcessingException e) {
        if (e instanceof JsonMappingException m && !m.getPath().isEmpty()) {
            return where(m.getPath());
        }
        if (e.getProcessor() instanceof JsonParser p) {
            return where(p);
        }
        return "the configuration";
    }

    private static String where(JsonParser p) {
        String w = where(p.getParsingContext());
        return w.isEmpty() ? "the configuration" : w;
    }

    /** The path to the value a parsing context stands on, empty at the top. */
    private static String where(JsonStreamContext context) {
        List<String> parts = new ArrayList<>();
        for (JsonStreamContext c = context; c != null && !c.inRoot(); c = c.getParent()) {
            if (c.inArray()) {
                parts.add(0, "[" + Math.max(0, c.getCurrentIndex()) + "]");
            } else if (c.getCurrentName() != null) {
                parts.add(0, "." + c.getCurrentName());
            }
        }
        String w = String.join("", parts);
        return w.startsWith(".") ? w.substring(1) : w;
    }

    private static String where(List<JsonMappingException.Reference> path) {
        String w = path.stream().map(r -> r.getFieldName() != null ? "." + r.getFieldName() : "[" + r.getIndex() + "]")
                .collect(Collectors.joining());
        return w.startsWith(".") ? w.substring(1) : w;
    }

    private static String expected(Class<?> type) {
        if (type == null) {
            return "another type";
        }
        if (type == Integer.class) {
            return "a whole number";
        }
        if (type == Double.class) {
            return "a number";
        }
        if (type == String.class) {
            return "text (quote it if it looks like a number)";
        }
        if (type == ConfigFile.Size.class) {
            return "a size such as 1.5T or 300G";
        }
        if (List.class.isAssignableFrom(type)) {
            return "a list";
        }
        return "a mapping";
    }

    private static String found(MismatchedInputException e) {
        try {
            if (e.getProcessor() instanceof JsonParser p && p.currentToken() != null) {
                JsonToken t = p.currentToken();
                return switch (t) {
                    case START_OBJECT, END_OBJECT, FIELD_NAME -> "a mapping";
                    case START_ARRAY, END_ARRAY -> "a list";
                    case VALUE_STRING -> "'" + p.getText() + "'";
                    default -> p.getText();
                };
            }
        } catch (IOException | RuntimeException unknown) {
            // fall through: the value could not be read back
        }
        return "what is given";
    }
}
