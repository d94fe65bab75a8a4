package dsp.cli;

import dsp.cli.client.CliFailure;
import dsp.cli.client.JsonTrees;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintWriter;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Model.OptionSpec;

/**
 * The guide's pool cleanup (what the pool-cleanup CronJob runs daily at 02:00). In Kubernetes
 * mode each node's agent cleans its own disk and answers later: this waits (bounded) for every
 * node, prints what each moved, and fails when a node did not answer or could not clean.
 */
public final class CleanupCommand extends ApiCommand {
    private final OptionSpec dryRun = add(CommandModel.flag("--dry-run", "show what would be moved, move nothing"));

    private final OptionSpec waitSeconds = add(CommandModel.option("--wait", "waitSeconds", int.class).defaultValue("300")
            .description("seconds to wait for every node's answer (default: ${DEFAULT-VALUE})"));

    CleanupCommand() {
        super("cleanup", "Move orphaned entries of every pool directory to the pool's trash (nothing is deleted; referenced data stays).",
                "Progress shows on stderr: a bar on a terminal, plain lines otherwise.");
    }

    static final List<Output.Column> COLUMNS = List.of(Output.col("SERVER", "server"), Output.col("POOL", "pool"),
            Output.col("ENTRY", "entry"), Output.col("BYTES", "bytes"), Output.col("TRASH", "trash"));

    @Override
    public Integer call() {
        boolean json = options.json();
        boolean dryRun = CommandModel.given(this.dryRun);
        int waitSeconds = this.waitSeconds.getValue();
        if (waitSeconds < 0) {
            throw new CliFailure(CliFailure.USAGE, "--wait must be 0 or more seconds");
        }
        var client = options.client();
        // an operation: which server it is at shows on stderr while it runs (then, in Kubernetes mode, the nodes' answers)
        JsonNode r = Progress.follow(client, client.postAsync("/api/v1/cleanup" + (dryRun ? "?dry_run=true" : ""),
                JsonTrees.nodes().objectNode()), spec.commandLine().getErr(), Progress.terminal());
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(waitSeconds);
        String run = URLEncoder.encode(r.path("run").asText(), StandardCharsets.UTF_8);
        while (!r.path("pending").isEmpty() && System.nanoTime() < deadline) {
            pause();
            r = client.get("/api/v1/cleanup/" + run);
        }
        if (json) {
            Output.json(spec, r);
        } else {
            print(r, dryRun);
        }
        List<String> problems = new ArrayList<>();
        r.path("pending").forEach(p -> problems.add(p.asText() + " did not answer within " + waitSeconds + " s"));
        r.path("failed").forEach(f -> problems.add(f.path("server").asText() + " failed: " + f.path("message").asText()));
        if (!problems.isEmpty()) {
            throw new CliFailure(CliFailure.REFUSED, "cleanup incomplete: " + String.join("; ", problems));
        }
        return 0;
    }

    /** One line per server (what it moved, or why not), then the moved entries. */
    private void print(JsonNode r, boolean dryRun) {
        PrintWriter out = spec.commandLine().getOut();
        String verb = dryRun ? "would move" : "moved";
        for (JsonNode server : r.path("servers")) {
            String name = server.asText();
            List<JsonNode> mine = new ArrayList<>();
            r.path("moved").forEach(m -> {
                if (m.path("server").asText().equals(name)) {
                    mine.add(m);
                }
            });
            String line = name + ": " + (mine.isEmpty() ? (dryRun ? "nothing to move" : "nothing moved")
                    : verb + " " + entries(mine.size()) + " (" + mine.stream().mapToLong(m -> m.path("bytes").asLong()).sum() + " bytes)");
            for (JsonNode p : r.path("pending")) {
                if (p.asText().equals(name)) {
                    line = name + ": no answer";
                }
            }
            for (JsonNode f : r.path("failed")) {
                if (f.path("server").asText().equals(name)) {
                    line = name + ": failed: " + f.path("message").asText();
                }
            }
            out.println(line);
        }
        if (!r.path("moved").isEmpty()) {
            out.flush();
            Output.table(spec, r.path("moved"), COLUMNS);
        }
        out.println(verb + " " + entries(r.path("count").asInt()) + " (" + r.path("bytes").asLong() + " bytes) on "
                + r.path("servers").size() + " server(s) to the pools' .trash directories");
        out.flush();
    }

    private static String entries(int n) {
        return n + " entr" + (n == 1 ? "y" : "ies");
    }

    private static void pause() {
        try {
            Thread.sleep(1000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CliFailure(CliFailure.UNREACHABLE, "interrupted while waiting for the nodes' answers");
        }
    }
}
