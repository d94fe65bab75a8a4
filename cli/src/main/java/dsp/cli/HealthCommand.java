package dsp.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintWriter;

/** Pool health, with exit codes a monitoring check can use. */
public final class HealthCommand extends ApiCommand {

    static final int WARNING = 10;
    static final int CRITICAL = 11;
    /**
     * Health without its map of servers whose disk fails the check, which the table does not show:
     * with a whole fleet on too small a disk that map is one entry per server (180 KB at 5,000), and
     * reading it cost {@code poolctl status} ~50 ms of CPU (530 more page faults) at that size.
     */
    static final String WITHOUT_SERVERS = "/api/v1/pools/health?servers=false";

    HealthCommand() {
        super("health", "Show pool health. Exit code follows the monitoring convention.");
        CommandModel.exitCodes(spec, "0:healthy", "1:the API refused the request", "3:the API could not be reached",
                "10:warning (a pool above the warning threshold, stranded volumes, ...)", "11:critical");
    }

    @Override
    public Integer call() throws Exception {
        boolean json = options.json();
        JsonNode health = options.client().get(json ? "/api/v1/pools/health" : WITHOUT_SERVERS);
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            Output.json(spec, health);
        } else {
            out.println("status: " + health.path("status").asText());
            health.path("pools").fields().forEachRemaining(e -> out.println("  " + e.getKey() + ": " + e.getValue().asText()));
            health.path("errors").forEach(m -> out.println("CRITICAL " + m.asText()));
            health.path("warnings").forEach(m -> out.println("WARNING  " + m.asText()));
            health.path("notes").forEach(m -> out.println("NOTE     " + m.asText()));
        }
        out.flush();
        return switch (health.path("status").asText()) {
            case "healthy" -> 0;
            case "warning" -> WARNING;
            default -> CRITICAL;
        };
    }
}
