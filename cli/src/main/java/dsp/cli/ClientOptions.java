package dsp.cli;

import dsp.cli.client.ApiClient;
import dsp.cli.client.CliFailure;
import picocli.CommandLine.Option;

/** Options every client command shares. */
public final class ClientOptions {

    @Option(names = "--server", defaultValue = "${env:POOLCTL_SERVER:-http://localhost:8080}",
            description = "API base URL (default: ${DEFAULT-VALUE}; env POOLCTL_SERVER)")
    String server;

    @Option(names = {"-o", "--output"}, defaultValue = "table", description = "table or json (default: ${DEFAULT-VALUE})")
    String output;

    @Option(names = "--token-file", defaultValue = "${env:POOLCTL_TOKEN_FILE}",
            description = "send the token in this file (read at each request; e.g. a projected ServiceAccount token) instead of $POOLCTL_TOKEN")
    java.nio.file.Path tokenFile;

    ApiClient client() {
        if (tokenFile == null) {
            return new ApiClient(server);
        }
        return new ApiClient(server, () -> {
            try {
                return java.util.Optional.of(java.nio.file.Files.readString(tokenFile).strip()).filter(t -> !t.isEmpty());
            } catch (java.io.IOException e) {
                throw new CliFailure(CliFailure.USAGE, "cannot read --token-file " + tokenFile + ": " + e.getMessage());
            }
        });
    }

    boolean json() {
        return switch (output) {
            case "json" -> true;
            case "table" -> false;
            default -> throw new CliFailure(CliFailure.USAGE, "-o must be table or json, not '" + output + "'");
        };
    }
}
