package dsp.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintWriter;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** The guide's pool cleanup (what the pool-cleanup CronJob runs daily at 02:00). */
@Command(name = "cleanup", mixinStandardHelpOptions = true,
        description = "Move orphaned entries of every pool directory to the pool's trash (nothing is deleted; referenced data stays).")
public final class CleanupCommand extends ApiCommand {
    @Option(names = "--dry-run", description = "show what would be moved, move nothing")
    boolean dryRun;

    static final List<Output.Column> COLUMNS = List.of(Output.col("SERVER", "server"), Output.col("POOL", "pool"),
            Output.col("ENTRY", "entry"), Output.col("BYTES", "bytes"), Output.col("TRASH", "trash"));

    @Override
    public Integer call() {
        boolean json = options.json();
        JsonNode r = options.client().post("/api/v1/cleanup" + (dryRun ? "?dry_run=true" : ""),
                dsp.cli.client.ApiClient.json().createObjectNode());
        if (json) {
            Output.json(spec, r);
            return 0;
        }
        PrintWriter out = spec.commandLine().getOut();
        if (r.path("moved").isEmpty()) {
            out.println((dryRun ? "nothing to move" : "nothing moved") + " on " + r.path("servers").size() + " server(s)");
        } else {
            Output.table(spec, r.path("moved"), COLUMNS);
            out.println((dryRun ? "would move " : "moved ") + r.path("count").asInt() + " entr" + (r.path("count").asInt() == 1 ? "y" : "ies")
                    + " (" + r.path("bytes").asLong() + " bytes) to the pools' .trash directories");
        }
        out.flush();
        return 0;
    }
}
