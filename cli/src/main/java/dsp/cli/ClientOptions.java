package dsp.cli;

import dsp.cli.client.CliFailure;
import dsp.cli.client.ApiClient;
import picocli.CommandLine.Option;

/** Options every client command shares. */
public final class ClientOptions {

    @Option(names = "--server", defaultValue = "${env:POOLCTL_SERVER:-http://localhost:8080}",
            description = "API base URL (default: ${DEFAULT-VALUE}; env POOLCTL_SERVER)")
    String server;

    @Option(names = {"-o", "--output"}, defaultValue = "table", description = "table or json (default: ${DEFAULT-VALUE})")
    String output;

    ApiClient client() {
        return new ApiClient(server);
    }

    boolean json() {
        return switch (output) {
            case "json" -> true;
            case "table" -> false;
            default -> throw new CliFailure(CliFailure.USAGE, "-o must be table or json, not '" + output + "'");
        };
    }
}
