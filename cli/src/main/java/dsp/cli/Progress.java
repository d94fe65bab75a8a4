package dsp.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dsp.cli.client.ApiClient;
import dsp.cli.client.CliFailure;
import dsp.cli.client.JsonTrees;
import dsp.core.operation.Operations;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.Locale;

/**
 * Follows a server operation to its end, or shows work poolctl does itself: a progress bar redrawn
 * in place on a terminal, plain lines (one per 10 % or per step) otherwise, so logs and pipes stay readable.
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

    /** What the amounts count: a server operation's are bytes; a Kubernetes backup's are objects. */
    enum Unit {
        BYTES, OBJECTS;

        String amount(long done, long total) {
            return this == BYTES ? human(done) + "/" + human(total) : done + "/" + total + " objects";
        }
    }

    /** Polls the operation until it ends; returns its result, or fails with its error. */
    static JsonNode follow(ApiClient client, JsonNode operation, PrintWriter out, boolean terminal) {
        String href = operation.path("href").asText("/api/v1/operations/" + operation.path("id").asText());
        String kind = operation.path("kind").asText("operation").replace('_', ' ');
        Meter meter = new Meter(kind, out, terminal, Unit.BYTES);
        JsonNode op = operation;
        while ("running".equals(op.path("state").asText())) {
            meter.show(op.path("progress"));
            try {
                Thread.sleep(POLL.toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new CliFailure(CliFailure.UNREACHABLE, "interrupted; the " + kind + " goes on on the server: " + href);
            }
            op = client.get(href);
        }
        meter.end("succeeded".equals(op.path("state").asText()), op.path("progress"));
        if ("failed".equals(op.path("state").asText())) {
            throw new CliFailure(CliFailure.REFUSED, op.path("error").path("message").asText(kind + " failed"));
        }
        return op.path("result");
    }

    /**
     * Shows the progress of work poolctl does itself (a restore) the way it shows a server
     * operation's; {@link Local#done} ends it.
     */
    static Local local(String kind, PrintWriter out, boolean terminal) {
        return local(kind, out, terminal, Unit.BYTES);
    }

    /** The same, counting {@code unit}s. */
    static Local local(String kind, PrintWriter out, boolean terminal, Unit unit) {
        return new Local(new Meter(kind, out, terminal, unit));
    }

    /** Progress reported here, drawn at most every {@link #REDRAW} (a restore reports every few kilobytes). */
    static final class Local implements Operations.Progress {
        private static final Duration REDRAW = Duration.ofMillis(200);
        private final Meter meter;
        private ObjectNode last = JsonTrees.nodes().objectNode();
        private long drawnAt = System.nanoTime() - REDRAW.toNanos();

        private Local(Meter meter) {
            this.meter = meter;
        }

        @Override
        public synchronized void progress(long done, long total, String step) {
            boolean newStep = !step.equals(last.path("step").asText(null));
            last = JsonTrees.nodes().objectNode().put("done", done).put("total", total).put("step", step);
            if (total > 0) {
                last.put("percent", Math.min(100.0, 100.0 * done / total));
            }
            if (!meter.terminal || newStep || System.nanoTime() - drawnAt >= REDRAW.toNanos()) {
                meter.show(last);
                drawnAt = System.nanoTime();
            }
        }

        /** The work succeeded: the bar's last state on a terminal, a closing line otherwise. */
        synchronized void done() {
            meter.end(true, last);
        }
    }

    /** A bar redrawn in place on a terminal; otherwise a plain line when the step or the tens of percent change. */
    private static final class Meter {
        private final String kind;
        private final PrintWriter out;
        private final boolean terminal;
        private final Unit unit;
        private String lastLine = "";
        private int lastDecile = -1;

        Meter(String kind, PrintWriter out, boolean terminal, Unit unit) {
            this.kind = kind;
            this.out = out;
            this.terminal = terminal;
            this.unit = unit;
        }

        void show(JsonNode p) {
            if (terminal) {
                out.print("\r" + bar(kind, p, unit));
                out.flush();
                return;
            }
            int decile = p.path("percent").isNumber() ? (int) (p.path("percent").asDouble() / 10) : -1;
            String line = kind + ": " + p.path("step").asText();
            if (decile != lastDecile || !line.equals(lastLine)) {
                out.println(line + (p.path("percent").isNumber() ? String.format(Locale.ROOT, " %.0f%%", p.path("percent").asDouble()) : ""));
                out.flush();
                lastDecile = decile;
                lastLine = line;
            }
        }

        void end(boolean succeeded, JsonNode p) {
            if (terminal) {
                out.print("\r" + bar(kind, p, unit) + System.lineSeparator());
            } else if (succeeded) {
                out.println(kind + ": done");
            }
            out.flush();
        }
    }

    static String bar(String kind, JsonNode p) {
        return bar(kind, p, Unit.BYTES);
    }

    static String bar(String kind, JsonNode p, Unit unit) {
        boolean known = p.path("percent").isNumber();
        double percent = known ? p.path("percent").asDouble() : 0;
        String amount = p.path("total").asLong() > 0 ? " " + unit.amount(p.path("done").asLong(), p.path("total").asLong()) : "";
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
