package dsp.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * A client command loads only what it uses (#10, CLI start): no TLS for an {@code http://} URL, no
 * daemon (HTTP server, SQLite, Kubernetes client), no other command's model. What it costs in time
 * is measured by {@code make bench} (bench/standalone-scale.sh), not here; that it
 * starts from the build's class-data-sharing archive is ClientArchiveIT's.
 */
class ClientStartTest {

    /** Class name prefixes a client command against {@code http://} never needs. */
    private static final List<String> NOT_NEEDED = List.of(
            "javax.net.ssl.SSLContext", "sun.security.ssl.", "java.net.http.", "jdk.internal.net.http.",
            "io.javalin.", "org.eclipse.jetty.", "org.sqlite.", "org.flywaydb.", "io.fabric8.", "dsp.kubernetes.",
            "dsp.cli.standalone.", "dsp.cli.KubeOptions", "dsp.cli.VmsCommand$", "dsp.cli.ServersCommand$",
            // making an ObjectMapper (date formats, locale data, type factory) was a fifth of the start: trees need none
            "com.fasterxml.jackson.databind.ObjectMapper");

    @TempDir
    Path dir;

    @Test
    void statusOverHttpLoadsNoTlsNoDaemonAndNoOtherCommand() throws Exception {
        HttpServer api = CdsTraining.cannedApi();
        try {
            Path classes = dir.resolve("classes.log");
            Path out = dir.resolve("out.txt");
            Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-Xlog:class+load=info:file=" + classes, "-cp", System.getProperty("java.class.path"), "dsp.cli.Poolctl",
                    "status", "--server", "http://127.0.0.1:" + api.getAddress().getPort())
                    .redirectErrorStream(true).redirectOutput(out.toFile()).start();
            assertThat(p.waitFor(2, TimeUnit.MINUTES)).as("poolctl status finished").isTrue();
            assertThat(p.exitValue()).as(Files.readString(out)).isZero();
            assertThat(Files.readString(out)).contains("k8s_pool", "Overall health: warning");
            List<String> loaded = Files.readAllLines(classes).stream()
                    .map(line -> line.replaceFirst("^\\S+\\s+", "").split(" ")[0]).toList();
            assertThat(loaded).contains("dsp.cli.StatusCommand", "dsp.cli.client.ApiClient");
            assertThat(loaded).filteredOn(c -> NOT_NEEDED.stream().anyMatch(c::startsWith)).isEmpty();
        } finally {
            api.stop(0);
        }
    }

    @Test
    void aCommandLineNamingOneCommandHasOnlyThatOneAndHelpHasThemAll() {
        assertThat(Poolctl.commandLineFor("status", "--server", "http://x").getSubcommands()).containsOnlyKeys("status");
        assertThat(Poolctl.commandLineFor("servers", "list").getSubcommands()).containsOnlyKeys("servers");
        for (String[] args : List.of(new String[0], new String[] {"--help"}, new String[] {"help", "status"},
                new String[] {"completion"}, new String[] {"no-such-command"})) {
            assertThat(Poolctl.commandLineFor(args).getSubcommands().keySet())
                    .containsAll(Poolctl.SUBCOMMANDS.keySet()).contains("help");
        }
    }

    @Test
    void eachSubcommandIsListedUnderItsOwnName() {
        Poolctl.SUBCOMMANDS.forEach((name, command) ->
                assertThat(command.getAnnotation(CommandLine.Command.class).name()).as(command.getSimpleName()).isEqualTo(name));
    }
}
