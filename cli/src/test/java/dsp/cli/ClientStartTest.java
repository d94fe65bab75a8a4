package dsp.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * A client command loads only what it uses (#10, CLI start): no TLS for an {@code http://} URL, no
 * daemon (HTTP server, SQLite, Kubernetes client), no other command's model, and no annotation: its
 * model is built in code ({@link CommandModel}). What it costs in time
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
            "com.fasterxml.jackson.databind.ObjectMapper",
            // picocli's reflective converters for java.time and java.sql types (none of our options has one)
            "java.time.MonthDay", "java.time.Period", "java.sql.",
            // String.format's first use loads the locale data
            "java.util.Formatter",
            // an annotation read by reflection is a proxy class generated at run time (never in the CDS archive): picocli
            // made a model from annotations (StatusCommand's, or Object's methods walked for @Command) instead of CommandModel's
            "jdk.proxy", "com.sun.proxy.");

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
                    .containsAll(Poolctl.SUBCOMMANDS).contains("help");
        }
    }

    /** What makes picocli's converters for java.time and java.sql types safe to leave out. */
    @Test
    void noCommandHasAnOptionOfATypeWhoseConverterIsLeftOut() {
        List<CommandLine.Model.CommandSpec> specs = new ArrayList<>();
        collect(Poolctl.commandLine().getCommandSpec(), specs);
        assertThat(specs).hasSizeGreaterThan(Poolctl.SUBCOMMANDS.size());
        for (CommandLine.Model.CommandSpec spec : specs) {
            for (CommandLine.Model.ArgSpec arg : spec.args()) {
                List<Class<?>> types = new ArrayList<>(List.of(arg.auxiliaryTypes()));
                types.add(arg.type());
                assertThat(types).as(spec.qualifiedName() + " " + arg)
                        .noneMatch(t -> t.getName().matches(Poolctl.UNUSED_CONVERTERS));
            }
        }
        assertThat(System.getProperty(Poolctl.PICOCLI_CONVERTER_EXCLUDES)).isEqualTo(Poolctl.UNUSED_CONVERTERS);
    }

    private static void collect(CommandLine.Model.CommandSpec spec, List<CommandLine.Model.CommandSpec> into) {
        into.add(spec);
        spec.subcommands().values().forEach(sub -> collect(sub.getCommandSpec(), into));
    }

    /** Rounded as {@code %.2f} rounds, on the figures the server sends and on edge cases of binary fractions. */
    @Test
    void usageIsWrittenAsStringFormatWritesIt() {
        Random random = new Random(11);
        List<Double> values = new ArrayList<>(List.of(0.0, 0.005, 0.015, 1.005, 2.675, 13.33, 26.666666, 74.995, 75.0,
                89.99499999, 89.995, 99.999, 100.0, 133.333333, 1e-9, 1234567.891));
        for (int i = 0; i < 20_000; i++) {
            values.add(random.nextDouble() * 150);
            values.add(Math.round(random.nextDouble() * 1_000_000) / 1000.0); // three decimals: ties in the third
        }
        for (double v : values) {
            assertThat(StatusCommand.percent(v)).as("%s", v).isEqualTo(String.format(Locale.ROOT, "%.2f%%", v));
        }
    }

    @Test
    void eachSubcommandIsListedUnderItsOwnName() {
        Poolctl.SUBCOMMANDS.forEach(name -> {
            Object made = Poolctl.subcommand(name); // a client command's model, or a daemon's annotated class
            String own = made instanceof CommandLine.Model.CommandSpec spec ? spec.name() : new CommandLine(made).getCommandName();
            assertThat(own).as(name).isEqualTo(name);
        });
    }
}
