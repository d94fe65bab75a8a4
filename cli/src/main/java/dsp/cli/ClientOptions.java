package dsp.cli;

import dsp.cli.client.ApiClient;
import dsp.cli.client.CliFailure;
import java.nio.file.Path;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/** Options every client command shares, added to its model by {@link #addTo}. */
public final class ClientOptions {

    private final OptionSpec server = CommandModel.option("--server", "server", String.class)
            .defaultValue("${env:POOLCTL_SERVER:-http://localhost:8080}")
            .description("API base URL (default: ${DEFAULT-VALUE}; env POOLCTL_SERVER)").build();

    private final OptionSpec output = CommandModel.option(new String[] {"-o", "--output"}, "output", String.class)
            .defaultValue("table").description("table or json (default: ${DEFAULT-VALUE})").build();

    private final OptionSpec tokenFile = CommandModel.option("--token-file", "tokenFile", Path.class)
            .defaultValue("${env:POOLCTL_TOKEN_FILE}")
            .description("send the token in this file (read at each request; e.g. a projected ServiceAccount token) instead of $POOLCTL_TOKEN")
            .build();

    /** These options, added to {@code spec}; their values are the ones its command line gave. */
    ClientOptions addTo(CommandSpec spec) {
        spec.addOption(server).addOption(output).addOption(tokenFile);
        return this;
    }

    /** The API's base URL. */
    String server() {
        return server.getValue();
    }

    ApiClient client() {
        String server = server();
        Path tokenFile = this.tokenFile.getValue();
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
        String output = this.output.getValue();
        return switch (output) {
            case "json" -> true;
            case "table" -> false;
            default -> throw new CliFailure(CliFailure.USAGE, "-o must be table or json, not '" + output + "'");
        };
    }
}
