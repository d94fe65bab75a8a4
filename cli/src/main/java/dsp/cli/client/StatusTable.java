package dsp.cli.client;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/** The table the guide's {@code monitor-pools.sh} prints: one row per pool, a usage bar, health. */
public final class StatusTable {

    private static final int BAR = 20;

    private StatusTable() {
    }

    public static String render(JsonNode status, JsonNode health) {
        List<String[]> rows = new ArrayList<>();
        rows.add(new String[] {"POOL", "SERVERS", "CAPACITY", "USED", "AVAILABLE", "USAGE", "", "HEALTH"});
        for (Iterator<Map.Entry<String, JsonNode>> it = status.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            JsonNode p = e.getValue();
            boolean reserve = e.getKey().equals("system_reserve");
            double usage = p.path("usage_percentage").asDouble();
            String h = reserve ? "-" : health.path("pools").path(e.getKey()).asText(p.path("health").asText("-"));
            rows.add(new String[] {
                    e.getKey(),
                    p.path(reserve ? "total_servers" : "servers").asText(),
                    gb(p.path("total_capacity_gb")),
                    gb(p.path("used_capacity_gb")),
                    gb(p.path("available_capacity_gb")),
                    bar(usage),
                    String.format("%.2f%%", usage),
                    h});
        }
        StringBuilder out = new StringBuilder();
        int[] width = new int[rows.get(0).length];
        for (String[] r : rows) {
            for (int i = 0; i < r.length; i++) {
                width[i] = Math.max(width[i], r[i].length());
            }
        }
        for (String[] r : rows) {
            StringBuilder line = new StringBuilder();
            for (int i = 0; i < r.length; i++) {
                boolean right = i >= 1 && i <= 4 || i == 6;
                String cell = right ? pad(r[i], width[i], true) : pad(r[i], width[i], false);
                line.append(cell).append(i == r.length - 1 ? "" : "  ");
            }
            out.append(line.toString().stripTrailing()).append('\n');
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = status.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            int stranded = e.getValue().path("stranded_volumes").asInt(0);
            if (stranded > 0) {
                out.append(e.getKey()).append(": ").append(stranded).append(" stranded volume(s), ")
                        .append(gb(e.getValue().path("stranded_capacity_gb"))).append('\n');
            }
        }
        out.append("\nOverall health: ").append(health.path("status").asText()).append('\n');
        health.path("errors").forEach(m -> out.append("  CRITICAL ").append(m.asText()).append('\n'));
        health.path("warnings").forEach(m -> out.append("  WARNING  ").append(m.asText()).append('\n'));
        health.path("notes").forEach(m -> out.append("  NOTE     ").append(m.asText()).append('\n'));
        return out.toString();
    }

    static String bar(double percent) {
        int filled = (int) Math.round(Math.min(100, Math.max(0, percent)) / 100 * BAR);
        return "[" + "#".repeat(filled) + ".".repeat(BAR - filled) + "]";
    }

    private static String gb(JsonNode n) {
        return n.isMissingNode() ? "-" : n.asText() + " GB";
    }

    private static String pad(String s, int w, boolean right) {
        String spaces = " ".repeat(Math.max(0, w - s.length()));
        return right ? spaces + s : s + spaces;
    }
}
