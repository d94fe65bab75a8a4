package dsp.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dsp.cli.client.CliFailure;
import dsp.cli.client.JsonTrees;
import java.nio.file.Path;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Model.CommandSpec;

/** VM templates: the read-only images under the vm pool. */
@Command(name = "templates", mixinStandardHelpOptions = true, description = "List, import and delete VM templates.",
        subcommands = {TemplatesCommand.ListTemplates.class, TemplatesCommand.Import.class, TemplatesCommand.Optimize.class,
                TemplatesCommand.Delete.class})
public final class TemplatesCommand extends ApiCommand {
    static final List<Output.Column> COLUMNS = List.of(Output.col("NAME", "name"), Output.col("FORMAT", "format"),
            new Output.Column("VIRTUAL SIZE", n -> n.path("virtual_size_gb").asText() + " GB"),
            new Output.Column("FILE SIZE", n -> n.path("file_size_gb").asText() + " GB"), Output.col("DISKS", "children"));

    /** {@code poolctl templates} alone lists them. */
    @Override
    public Integer call() {
        return list(spec, options);
    }

    static int list(CommandSpec spec, ClientOptions options) {
        boolean json = options.json();
        Output.many(spec, json, options.client().get("/api/v1/templates"), "templates", COLUMNS);
        return 0;
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "List templates.")
    static final class ListTemplates extends ApiCommand {
        @Override
        public Integer call() {
            return list(spec, options);
        }
    }

    @Command(name = "import", mixinStandardHelpOptions = true,
            description = {"Register a qcow2 or raw image FILE as template NAME (FILE must be in the server's <data-dir>/imports;",
                    "a bare file name means a file there; the copy's progress is shown),",
                    "or fetch it with --url URL --sha256 HEX (on Kubernetes every vm node fetches its own copy)."})
    static final class Import extends ApiCommand {
        @Parameters(index = "0", paramLabel = "NAME")
        String name;
        @Parameters(index = "1", paramLabel = "FILE", arity = "0..1")
        Path file;
        @picocli.CommandLine.Option(names = "--url", paramLabel = "URL", description = "http or https URL of the image")
        String url;
        @picocli.CommandLine.Option(names = "--sha256", paramLabel = "HEX", description = "the image's SHA-256 (required with --url)")
        String sha256;

        @Override
        public Integer call() {
            boolean json = options.json();
            ObjectNode body = JsonTrees.nodes().objectNode().put("name", name);
            if ((file == null) == (url == null)) {
                throw new CliFailure(CliFailure.USAGE, "give either FILE or --url URL --sha256 HEX");
            }
            if (url == null) {
                // a file here is sent by its absolute path; anything else is a name in the server's import directory
                body.put("source", java.nio.file.Files.isRegularFile(file) ? file.toAbsolutePath().toString() : file.toString());
                var client = options.client();
                JsonNode template = Progress.follow(client, client.postAsync("/api/v1/templates", body), spec.commandLine().getErr(),
                        Progress.terminal());
                Output.one(spec, json, template, COLUMNS);
                return 0;
            }
            if (sha256 == null) {
                throw new CliFailure(CliFailure.USAGE, "--sha256 is required with --url");
            }
            var answer = options.client().post("/api/v1/templates", body.put("url", url).put("sha256", sha256));
            if (json) {
                Output.json(spec, answer);
            } else if (answer.has("ready")) {
                say("template " + name + ": recorded; the vm nodes are fetching it (poolctl templates shows their progress)");
            } else {
                Output.one(spec, false, answer, COLUMNS);
            }
            return 0;
        }
    }

    @Command(name = "optimize", mixinStandardHelpOptions = true,
            description = "Compress a qcow2 template, verified identical before it replaces the original (the guide's Pool Optimization).")
    static final class Optimize extends ApiCommand {
        @Parameters(index = "0", paramLabel = "NAME")
        String name;

        @Override
        public Integer call() {
            boolean json = options.json();
            var client = options.client();
            var r = Progress.follow(client, client.postAsync("/api/v1/templates/" + Paths.segment(name) + "/optimize",
                    JsonTrees.nodes().objectNode()), spec.commandLine().getErr(), Progress.terminal());
            if (json) {
                Output.json(spec, r);
            } else {
                say("template " + name + ": " + r.path("bytes_before").asLong() + " -> " + r.path("bytes_after").asLong()
                        + " bytes (saved " + r.path("saved_bytes").asLong() + ")");
            }
            return 0;
        }
    }

    @Command(name = "delete", mixinStandardHelpOptions = true, description = "Delete a template no disk is made from.")
    static final class Delete extends ApiCommand {
        @Parameters(index = "0", paramLabel = "NAME")
        String name;

        @Override
        public Integer call() {
            options.client().delete("/api/v1/templates/" + Paths.segment(name));
            say("template " + name + " deleted");
            return 0;
        }
    }
}
