package dsp.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dsp.cli.client.ApiClient;
import dsp.cli.client.CliFailure;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.Locale;

/**
 * Follows a server operation to its end: a progress bar redrawn in place on a terminal, plain
 * lines (one per 10 % or per step) otherwise, so logs and pipes stay readable.
 */
final class Progress {

    private static final int BAR = 30;
    private static final Duration POLL = Duration.ofMillis(500);

    private Progress() {
    }

    /** Whether the output goes to a terminal a bar can be redrawn on. */
    static boolean terminal() {
        return System.console() != null && System.getenv("TERM") != null && !"dumb".equals(System.getenv("TERM"));
    }

    /** Polls the operation until it ends; returns its result, or fails with its error. */
    static JsonNode follow(ApiClient client, JsonNode operation, PrintWriter out, boolean terminal) {
        String href = operation.path("href").asText("/api/v1/operations/" + operation.path("id").asText());
        String kind = operation.path("kind").asText("operation").replace('_', ' ');
        String lastLine = "";
        int lastDecile = -1;
        JsonNode op = operation;
        while ("running".equals(op.path("state").asText())) {
            JsonNode p = op.path("progress");
            if (terminal) {
                out.print("\r" + bar(kind, p));
                out.flush();
            } else {
                int decile = p.path("percent").isNumber() ? (int) (p.path("percent").asDouble() / 10) : -1;
                String line = kind + ": " + p.path("step").asText();
                if (decile != lastDecile || !line.equals(lastLine)) {
                    out.println(line + (p.path("percent").isNumber() ? String.format(Locale.ROOT, " %.0f%%", p.path("percent").asDouble()) : ""));
                    out.flush();
                    lastDecile = decile;
                    lastLine = line;
                }
            }
            try {
                Thread.sleep(POLL.toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new CliFailure(CliFailure.UNREACHABLE, "interrupted; the " + kind + " goes on on the server: " + href);
            }
            op = client.get(href);
        }
        if (terminal) {
            out.print("\r" + bar(kind, op.path("progress")) + System.lineSeparator());
            out.flush();
        } else if ("succeeded".equals(op.path("state").asText())) {
            out.println(kind + ": done");
            out.flush();
        }
        if ("failed".equals(op.path("state").asText())) {
            throw new CliFailure(CliFailure.REFUSED, op.path("error").path("message").asText(kind + " failed"));
        }
        return op.path("result");
    }

    static String bar(String kind, JsonNode p) {
        boolean known = p.path("percent").isNumber();
        double percent = known ? p.path("percent").asDouble() : 0;
        String amount = p.path("total").asLong() > 0 ? " " + human(p.path("done").asLong()) + "/" + human(p.path("total").asLong()) : "";
        return String.format(Locale.ROOT, "%s %s %s%s %s", kind, Output.bar(percent, BAR),
                known ? String.format(Locale.ROOT, "%3.0f%%", percent) : " ...", amount, p.path("step").asText());
    }

    private static String human(long bytes) {
        if (bytes >= 1_000_000_000L) {
            return String.format(Locale.ROOT, "%.1f GB", bytes / 1e9);
        }
        return String.format(Locale.ROOT, "%.0f MB", bytes / 1e6);
    }
}
