package dsp.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dsp.cli.client.JsonTrees;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import picocli.CommandLine.Model.CommandSpec;

/** Printing API answers: pretty JSON, or a fixed-width table of chosen columns. */
final class Output {

    private Output() {
    }

    static void json(CommandSpec spec, JsonNode node) {
        PrintWriter out = spec.commandLine().getOut();
        out.println(JsonTrees.pretty(node));
        out.flush();
    }

    /** A column: its title, how a row shows in it, and whether it lines up on the right (figures). */
    record Column(String title, Function<JsonNode, String> value, boolean right) {

        Column(String title, Function<JsonNode, String> value) {
            this(title, value, false);
        }

        /** The same column, lined up on the right. */
        Column alignedRight() {
            return new Column(title, value, true);
        }
    }

    /** One object: pretty JSON, or a one-row table. */
    static void one(CommandSpec spec, boolean json, JsonNode node, List<Column> columns) {
        if (json) {
            json(spec, node);
        } else {
            table(spec, JsonTrees.nodes().arrayNode().add(node), columns);
        }
    }

    /** A list answer such as {"vms": [...]}: pretty JSON of the whole, or a table of the list. */
    static void many(CommandSpec spec, boolean json, JsonNode answer, String field, List<Column> columns) {
        if (json) {
            json(spec, answer);
        } else {
            table(spec, answer.path(field), columns);
        }
    }

    static Column col(String title, String field) {
        return new Column(title, n -> n.path(field).isNull() || n.path(field).isMissingNode() ? "-" : n.path(field).asText());
    }

    static void table(CommandSpec spec, JsonNode rows, List<Column> columns) {
        PrintWriter out = spec.commandLine().getOut();
        out.print(render(rows, columns));
        out.flush();
    }

    /**
     * The one table renderer of the CLI: a header of titles, then a line per row, each column as
     * wide as its widest cell, two spaces between columns, no trailing blanks.
     */
    static String render(Iterable<JsonNode> rows, List<Column> columns) {
        List<List<String>> lines = new ArrayList<>();
        lines.add(columns.stream().map(Column::title).toList());
        for (JsonNode r : rows) {
            lines.add(columns.stream().map(c -> c.value().apply(r)).toList());
        }
        int[] width = new int[columns.size()];
        for (List<String> line : lines) {
            for (int i = 0; i < width.length; i++) {
                width[i] = Math.max(width[i], line.get(i).length());
            }
        }
        StringBuilder out = new StringBuilder();
        for (List<String> line : lines) {
            StringBuilder text = new StringBuilder();
            for (int i = 0; i < width.length; i++) {
                String pad = " ".repeat(width[i] - line.get(i).length());
                text.append(columns.get(i).right() ? pad + line.get(i) : line.get(i) + pad).append("  ");
            }
            out.append(text.toString().stripTrailing()).append(System.lineSeparator());
        }
        return out.toString();
    }

    /** A usage bar {@code [#####.....]} of {@code width} marks, filled to {@code percent} (clamped to 0..100). */
    static String bar(double percent, int width) {
        int filled = (int) Math.round(Math.min(100, Math.max(0, percent)) / 100 * width);
        return "[" + "#".repeat(filled) + ".".repeat(width - filled) + "]";
    }
}
