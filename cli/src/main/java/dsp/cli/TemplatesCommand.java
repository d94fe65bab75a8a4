package dsp.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dsp.cli.client.CliFailure;
import dsp.cli.client.JsonTrees;
import java.nio.file.Path;
import java.util.List;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Model.PositionalParamSpec;

/** VM templates: the read-only images under the vm pool. */
public final class TemplatesCommand extends ApiCommand {

    TemplatesCommand() {
        super("templates", "List, import and delete VM templates.");
        CommandModel.subcommands(spec, new ListTemplates().model(), new Import().model(), new Optimize().model(), new Delete().model());
    }

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

    static final class ListTemplates extends ApiCommand {
        ListTemplates() {
            super("list", "List templates.");
        }

        @Override
        public Integer call() {
            return list(spec, options);
        }
    }

    static final class Import extends ApiCommand {
        private final PositionalParamSpec name = add(CommandModel.parameter(0, "NAME", String.class));
        private final PositionalParamSpec file = add(CommandModel.parameter(1, "FILE", Path.class).arity("0..1").required(false));
        private final OptionSpec url = add(OptionSpec.builder("--url").paramLabel("URL").type(String.class)
                .description("http or https URL of the image"));
        private final OptionSpec sha256 = add(OptionSpec.builder("--sha256").paramLabel("HEX").type(String.class)
                .description("the image's SHA-256 (required with --url)"));

        Import() {
            super("import", "Register a qcow2 or raw image FILE as template NAME (FILE must be in the server's <data-dir>/imports;",
                    "a bare file name means a file there; the copy's progress is shown),",
                    "or fetch it with --url URL --sha256 HEX (on Kubernetes every vm node fetches its own copy).");
        }

        @Override
        public Integer call() {
            boolean json = options.json();
            String name = this.name.getValue();
            Path file = this.file.getValue();
            String url = this.url.getValue();
            String sha256 = this.sha256.getValue();
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

    static final class Optimize extends ApiCommand {
        private final PositionalParamSpec name = add(CommandModel.parameter(0, "NAME", String.class));

        Optimize() {
            super("optimize", "Compress a qcow2 template, verified identical before it replaces the original (the guide's Pool Optimization).");
        }

        @Override
        public Integer call() {
            boolean json = options.json();
            String name = this.name.getValue();
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

    static final class Delete extends ApiCommand {
        private final PositionalParamSpec name = add(CommandModel.parameter(0, "NAME", String.class));

        Delete() {
            super("delete", "Delete a template no disk is made from.");
        }

        @Override
        public Integer call() {
            String name = this.name.getValue();
            options.client().delete("/api/v1/templates/" + Paths.segment(name));
            say("template " + name + " deleted");
            return 0;
        }
    }
}
