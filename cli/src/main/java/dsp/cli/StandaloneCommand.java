package dsp.cli;

import dsp.cli.client.CliFailure;
import dsp.cli.standalone.StandaloneServer;
import dsp.config.PoolConfig;
import java.nio.file.Path;
import java.time.Clock;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** Runs everything in one process: SQLite state, server directories, the HTTP API. */
@Command(name = "standalone", mixinStandardHelpOptions = true,
        description = "Run the standalone server: embedded SQLite state, each server a directory under the data dir.")
public final class StandaloneCommand implements Callable<Integer> {

    @Option(names = "--port", defaultValue = "8080", description = "HTTP port (default: ${DEFAULT-VALUE})")
    int port;

    @Option(names = "--host", defaultValue = "127.0.0.1", description = "address to listen on (default: ${DEFAULT-VALUE}; 0.0.0.0 for every interface)")
    String host;

    @Option(names = "--data-dir", defaultValue = "./data", description = "where state and server directories live (default: ${DEFAULT-VALUE})")
    Path dataDir;

    @Option(names = "--config", description = "pool configuration YAML (default: <data-dir>/pools.yaml if there, else the guide's k8s and vm pools; see examples/pools.yaml)")
    Path config;

    @Option(names = "--token-file", description = "changes then need `Authorization: Bearer <token>` (also: env POOLCTL_TOKEN)")
    Path tokenFile;

    @Option(names = "--allowed-host", paramLabel = "NAME", description = "a further host name clients use to reach this server "
            + "(requests naming any other host are refused, so a web page cannot reach it through a rebound DNS name); repeatable")
    java.util.List<String> allowedHosts = new java.util.ArrayList<>();

    @Option(names = "--demo", description = "on an empty data dir, create the guide's Example 1 start: 2 k8s and 2 vm servers")
    boolean demo;

    @Option(names = "--measure-every", defaultValue = "30", paramLabel = "SECONDS",
            description = "rest between two background passes that measure every server's disk (default: ${DEFAULT-VALUE})")
    int measureEverySeconds;

    private java.util.Optional<String> token() {
        if (tokenFile != null) {
            try {
                String t = java.nio.file.Files.readString(tokenFile).strip();
                if (t.isEmpty()) {
                    throw new CliFailure(CliFailure.USAGE, "--token-file " + tokenFile + " is empty");
                }
                return java.util.Optional.of(t);
            } catch (java.io.IOException e) {
                throw new CliFailure(CliFailure.USAGE, "cannot read --token-file " + tokenFile + ": " + e.getMessage());
            }
        }
        return java.util.Optional.ofNullable(System.getenv("POOLCTL_TOKEN")).map(String::strip).filter(t -> !t.isEmpty());
    }

    @Override
    public Integer call() {
        if (port < 0 || port > 65535) {
            throw new CliFailure(CliFailure.USAGE, "--port " + port + " is not a TCP port");
        }
        if (measureEverySeconds < 1 || measureEverySeconds > 86_400) {
            throw new CliFailure(CliFailure.USAGE, "--measure-every " + measureEverySeconds + " must be between 1 and 86400 seconds");
        }
        // a restored data dir carries its configuration: used when --config does not name another
        Path file = config != null ? config : java.nio.file.Files.isRegularFile(dataDir.resolve("pools.yaml")) ? dataDir.resolve("pools.yaml") : null;
        PoolConfig.Configuration configuration = file == null ? PoolConfig.Configuration.guideDefaults() : PoolConfig.load(file);
        StandaloneServer server = new StandaloneServer(configuration, dataDir, Clock.systemUTC(), demo)
                .surveyEvery(java.time.Duration.ofSeconds(measureEverySeconds));
        if (file != null) {
            server.configuredFrom(file);
        }
        if (demo) {
            server.seedDemoIfEmpty();
            server.ensureDemoTemplate();
        }
        server.requireToken(token());
        server.allowHosts(java.util.Set.copyOf(allowedHosts));
        try {
            server.start(host, port);
        } catch (RuntimeException e) {
            server.close();
            throw new CliFailure(CliFailure.USAGE, "cannot listen on " + host + ":" + port + ": "
                    + (e.getCause() != null ? e.getCause().getMessage() : e.getMessage()));
        }
        Runtime.getRuntime().addShutdownHook(new Thread(server::close, "shutdown"));
        Daemon.serving();
        return 0;
    }
}
