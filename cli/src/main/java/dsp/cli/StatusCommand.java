package dsp.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dsp.cli.client.ApiClient;
import dsp.cli.client.StatusTable;
import picocli.CommandLine.Command;

/** What the guide's monitor-pools.sh is for: capacity, use and health of every pool. */
@Command(name = "status", mixinStandardHelpOptions = true,
        description = "Show every pool: servers, capacity, used, available, usage and health.")
public final class StatusCommand extends ApiCommand {
    @Override
    public Integer call() throws Exception {
        boolean json = options.json();
        ApiClient client = options.client();
        JsonNode status = client.get("/api/v1/pools/status");
        if (json) {
            Output.json(spec, status);
        } else {
            spec.commandLine().getOut().print(StatusTable.render(status, client.get("/api/v1/pools/health")));
        }
        spec.commandLine().getOut().flush();
        return 0;
    }
}
