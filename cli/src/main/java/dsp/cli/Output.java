package dsp.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dsp.cli.client.ApiClient;
import dsp.cli.client.CliFailure;
import java.io.PrintWriter;
import java.util.List;
import java.util.function.Function;
import picocli.CommandLine.Model.CommandSpec;

/** Printing API answers: pretty JSON, or a fixed-width table of chosen columns. */
final class Output {

    private Output() {
    }

    static void json(CommandSpec spec, JsonNode node) {
        try {
            PrintWriter out = spec.commandLine().getOut();
            out.println(ApiClient.json().writerWithDefaultPrettyPrinter().writeValueAsString(node));
            out.flush();
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new CliFailure(CliFailure.REFUSED, "cannot print the answer: " + e.getOriginalMessage());
        }
    }

    record Column(String title, Function<JsonNode, String> value) {
    }

    /** One object: pretty JSON, or a one-row table. */
    static void one(CommandSpec spec, boolean json, JsonNode node, List<Column> columns) {
        if (json) {
            json(spec, node);
        } else {
            table(spec, ApiClient.json().createArrayNode().add(node), columns);
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
        int[] width = new int[columns.size()];
        for (int i = 0; i < columns.size(); i++) {
            width[i] = columns.get(i).title().length();
            for (JsonNode r : rows) {
                width[i] = Math.max(width[i], columns.get(i).value().apply(r).length());
            }
        }
        PrintWriter out = spec.commandLine().getOut();
        StringBuilder header = new StringBuilder();
        for (int i = 0; i < columns.size(); i++) {
            header.append(String.format("%-" + width[i] + "s  ", columns.get(i).title()));
        }
        out.println(header.toString().stripTrailing());
        for (JsonNode r : rows) {
            StringBuilder line = new StringBuilder();
            for (int i = 0; i < columns.size(); i++) {
                line.append(String.format("%-" + width[i] + "s  ", columns.get(i).value().apply(r)));
            }
            out.println(line.toString().stripTrailing());
        }
        out.flush();
    }
}
