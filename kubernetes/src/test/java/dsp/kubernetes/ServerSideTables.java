package dsp.kubernetes;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.regex.Pattern;

/**
 * The API server's table printing ({@code Accept: application/json;as=Table;g=meta.k8s.io}), which
 * is what plain {@code kubectl get} shows, for the resources whose columns our users read. The
 * columns are those of kube-apiserver's printers ({@code pkg/printers/internalversion/printers.go});
 * other resources get the plain list, and kubectl prints names only, as before.
 */
final class ServerSideTables {

    private ServerSideTables() {
    }

    private record Column(String name, String format, Function<JsonNode, String> cell) {
    }

    private static final ObjectMapper JSON = new ObjectMapper();

    /** printers.go: csiStorageCapacityColumnDefinitions = Name, StorageClassName, Capacity ("<unset>" when nil). */
    private static final Map<Pattern, List<Column>> TABLES = Map.of(
            Pattern.compile("^/apis/storage\\.k8s\\.io/v1/(namespaces/[^/]+/)?csistoragecapacities$"), List.of(
                    new Column("Name", "name", o -> o.at("/metadata/name").asText()),
                    new Column("StorageClassName", "", o -> o.path("storageClassName").asText()),
                    new Column("Capacity", "", o -> o.hasNonNull("capacity") ? o.get("capacity").asText() : "<unset>")));

    /** The columns for a list at this path, if the API server prints it as a table. */
    static boolean wants(String path, String accept) {
        return accept != null && accept.contains("as=Table") && columns(path) != null;
    }

    /** A {@code meta.k8s.io/v1} Table of the list the CRUD mock answered. */
    static String table(String path, String listJson) {
        try {
            JsonNode list = JSON.readTree(listJson);
            ObjectNode table = JSON.createObjectNode().put("kind", "Table").put("apiVersion", "meta.k8s.io/v1");
            table.putObject("metadata").put("resourceVersion", list.at("/metadata/resourceVersion").asText(""));
            ArrayNode defs = table.putArray("columnDefinitions");
            List<Column> columns = columns(path);
            for (Column c : columns) {
                defs.addObject().put("name", c.name()).put("type", "string").put("format", c.format()).put("description", "").put("priority", 0);
            }
            ArrayNode rows = table.putArray("rows");
            for (JsonNode item : list.path("items")) {
                ObjectNode row = rows.addObject();
                ArrayNode cells = row.putArray("cells");
                columns.forEach(c -> cells.add(c.cell().apply(item)));
                row.putObject("object").put("kind", "PartialObjectMetadata").put("apiVersion", "meta.k8s.io/v1")
                        .set("metadata", item.path("metadata"));
            }
            return JSON.writeValueAsString(table);
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static List<Column> columns(String path) {
        return TABLES.entrySet().stream().filter(e -> e.getKey().matcher(path).matches()).map(Map.Entry::getValue).findFirst().orElse(null);
    }
}
