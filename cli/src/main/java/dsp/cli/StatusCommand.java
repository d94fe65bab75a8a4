package dsp.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import dsp.cli.client.ApiClient;
import dsp.cli.client.JsonTrees;
import java.io.PrintWriter;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.List;
import java.util.Map;

/** What the guide's monitor-pools.sh is for: capacity, use and health of every pool. */
public final class StatusCommand extends ApiCommand {

    StatusCommand() {
        super("status", "Show every pool: servers, capacity, used, available, usage and health.");
    }

    private static final String RESERVE = "system_reserve";
    private static final int BAR = 20;

    /** One row per pool of the guide's status JSON (rows made by {@link #rows}), figures on the right. */
    static final List<Output.Column> COLUMNS = List.of(
            Output.col("POOL", "pool"),
            Output.col("SERVERS", "servers").alignedRight(),
            Output.col("CAPACITY", "capacity").alignedRight(),
            Output.col("USED", "used").alignedRight(),
            Output.col("AVAILABLE", "available").alignedRight(),
            Output.col("USAGE", "bar"),
            Output.col("", "percent").alignedRight(),
            Output.col("HEALTH", "health"));

    @Override
    public Integer call() throws Exception {
        boolean json = options.json(); // a bad -o is a usage error before anything is asked of the server
        ApiClient client = options.client();
        JsonNode status = client.get("/api/v1/pools/status");
        if (json) {
            Output.json(spec, status);
        } else {
            PrintWriter out = spec.commandLine().getOut();
            out.print(render(status, client.get(HealthCommand.WITHOUT_SERVERS)));
            out.flush();
        }
        return 0;
    }

    /** The table, the stranded volumes of each pool, and the overall health with its messages. */
    static String render(JsonNode status, JsonNode health) {
        StringBuilder out = new StringBuilder(Output.render(rows(status, health), COLUMNS));
        for (Map.Entry<String, JsonNode> e : status.properties()) {
            int stranded = e.getValue().path("stranded_volumes").asInt(0);
            if (stranded > 0) {
                out.append(e.getKey()).append(": ").append(stranded).append(" stranded volume(s), ")
                        .append(gb(e.getValue().path("stranded_capacity_gb"))).append('\n');
            }
        }
        out.append("\nOverall health: ").append(health.path("status").asText()).append('\n');
        health.path("errors").forEach(m -> out.append("  CRITICAL ").append(m.asText()).append('\n'));
        health.path("warnings").forEach(m -> out.append("  WARNING  ").append(m.asText()).append('\n'));
        return out.toString();
    }

    private static ArrayNode rows(JsonNode status, JsonNode health) {
        ArrayNode rows = JsonTrees.nodes().arrayNode();
        for (Map.Entry<String, JsonNode> e : status.properties()) {
            JsonNode p = e.getValue();
            boolean reserve = e.getKey().equals(RESERVE);
            double usage = p.path("usage_percentage").asDouble();
            rows.addObject()
                    .put("pool", e.getKey())
                    .put("servers", p.path(reserve ? "total_servers" : "servers").asText())
                    .put("capacity", gb(p.path("total_capacity_gb")))
                    .put("used", gb(p.path("used_capacity_gb")))
                    .put("available", gb(p.path("available_capacity_gb")))
                    .put("bar", Output.bar(usage, BAR))
                    .put("percent", percent(usage))
                    .put("health", reserve ? "-" : health.path("pools").path(e.getKey()).asText(p.path("health").asText("-")));
        }
        return rows;
    }

    /**
     * Two decimals and a per cent sign, rounded half up as {@code %.2f} does; without {@link String#format},
     * whose first use loads the locale data (a tenth of a client command's start-up).
     */
    static String percent(double usage) {
        return BigDecimal.valueOf(usage).setScale(2, RoundingMode.HALF_UP).toPlainString() + "%";
    }

    private static String gb(JsonNode n) {
        return n.isMissingNode() ? "-" : n.asText() + " GB";
    }
}
