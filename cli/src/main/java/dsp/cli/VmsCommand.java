package dsp.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dsp.cli.client.JsonTrees;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Model.PositionalParamSpec;

/** VMs through the API: the guide's POST /api/v1/vms and friends. */
public final class VmsCommand implements Runnable {

    final CommandSpec spec = CommandModel.withStandardHelp(CommandModel.subcommands(
            CommandModel.command(this, "vms", "Create, list, resize and delete VMs."),
            new Create().model(), new ListVms().model(), new Get().model(), new Resize().model(), new Delete().model()));

    /** This command's model, with its subcommands'. */
    CommandSpec model() {
        return spec;
    }

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    static final List<Output.Column> COLUMNS = List.of(Output.col("ID", "id"), Output.col("NAME", "name"),
            Output.col("NAMESPACE", "namespace"), Output.col("NODE", "node"), Output.col("IMAGE", "image"),
            Output.col("CPU", "cpu"), Output.col("MEMORY", "memory"), new Output.Column("STORAGE", n -> n.path("storage").asText() + " GB"),
            Output.col("FORMAT", "disk_format"), Output.col("STATUS", "status"));

    static void show(CommandSpec spec, ClientOptions options, JsonNode vm) {
        Output.one(spec, options.json(), vm, COLUMNS);
        if (!options.json()) {
            spec.commandLine().getOut().println("disk: " + vm.path("disk_path").asText());
            spec.commandLine().getOut().flush();
        }
    }

    static final class Create extends ApiCommand {
        private final PositionalParamSpec name = add(CommandModel.parameter(0, "NAME", String.class));
        private final OptionSpec image = add(CommandModel.option("--image", "image", String.class).required(true)
                .description("template name, e.g. ubuntu22"));
        private final OptionSpec serverType = add(CommandModel.option("--server-type", "serverType", String.class)
                .description("preset such as cx21 (fixes cpu and memory)"));
        private final OptionSpec cpu = add(CommandModel.option("--cpu", "cpu", Integer.class));
        private final OptionSpec memory = add(CommandModel.option("--memory", "memory", Integer.class).description("GB"));
        private final OptionSpec storage = add(CommandModel.option("--storage", "storage", Double.class).description("disk size in GB"));
        private final OptionSpec namespace = add(CommandModel.option("--namespace", "namespace", String.class).defaultValue("default"));
        private final OptionSpec diskFormat = add(CommandModel.option("--disk-format", "diskFormat", String.class)
                .description("qcow2 (default) or raw"));

        Create() {
            super("create", "Create a VM from a template (its disk is a qcow2 overlay).",
                    "The first disk from a template on a server copies the template there first: progress shows on stderr.");
        }

        @Override
        public Integer call() {
            options.json();
            String name = this.name.getValue();
            String image = this.image.getValue();
            String serverType = this.serverType.getValue();
            Integer cpu = this.cpu.getValue();
            Integer memory = this.memory.getValue();
            Double storage = this.storage.getValue();
            String namespace = this.namespace.getValue();
            String diskFormat = this.diskFormat.getValue();
            ObjectNode body = JsonTrees.nodes().objectNode();
            body.put("name", name);
            body.put("image", image);
            if (serverType != null) {
                body.put("server_type", serverType);
            }
            if (cpu != null) {
                body.put("cpu", cpu);
            }
            if (memory != null) {
                body.put("memory", memory);
            }
            if (storage != null) {
                body.put("storage", storage);
            }
            body.put("namespace", namespace);
            if (diskFormat != null) {
                body.put("disk_format", diskFormat);
            }
            // runs as an operation: the first disk from a template on a server copies the template there (gigabytes)
            var client = options.client();
            show(spec, options, Progress.follow(client, client.postAsync("/api/v1/vms", body), spec.commandLine().getErr(), Progress.terminal()));
            return 0;
        }
    }

    static final class ListVms extends ApiCommand {
        private final OptionSpec namespace = add(CommandModel.option("--namespace", "namespace", String.class)
                .description("only this namespace"));

        ListVms() {
            super("list", "List VMs.");
        }

        @Override
        public Integer call() {
            boolean json = options.json();
            String namespace = this.namespace.getValue();
            String q = namespace == null ? "" : "?namespace=" + URLEncoder.encode(namespace, StandardCharsets.UTF_8);
            Output.many(spec, json, options.client().get("/api/v1/vms" + q), "vms", COLUMNS);
            return 0;
        }
    }

    /** Names a VM by id or by name; the namespace narrows a name found in several. */
    static final class VmRef {
        private final PositionalParamSpec ref = CommandModel.parameter(0, "VM", String.class).description("the VM's id or name").build();
        private final OptionSpec namespace = CommandModel.option(new String[] {"-n", "--namespace"}, "namespace", String.class)
                .description("the namespace of a VM given by name").build();

        /** Its parameter and option, added to {@code command}. */
        VmRef(ApiCommand command) {
            command.spec.addPositional(ref).addOption(namespace);
        }

        /** The VM as the command line gave it: an id or a name. */
        String ref() {
            return ref.getValue();
        }

        String id(ClientOptions options) {
            return Lookup.vm(options.client(), ref(), java.util.Optional.ofNullable(namespace.getValue())).path("id").asText();
        }
    }

    static final class Get extends ApiCommand {
        private final VmRef vm = new VmRef(this);

        Get() {
            super("get", "Show one VM, by id or name.");
        }

        @Override
        public Integer call() {
            options.json();
            show(spec, options, options.client().get("/api/v1/vms/" + Paths.segment(vm.id(options))));
            return 0;
        }
    }

    static final class Resize extends ApiCommand {
        private final VmRef vm = new VmRef(this);
        private final PositionalParamSpec size = add(CommandModel.parameter(1, "NEW_SIZE_GB", double.class));

        Resize() {
            super("resize", "Grow a VM's disk to NEW_SIZE_GB (grow only); the VM by id or name.");
        }

        @Override
        public Integer call() {
            options.json();
            double size = this.size.getValue();
            ObjectNode body = JsonTrees.nodes().objectNode().put("new_size_gb", size);
            show(spec, options, options.client().post("/api/v1/vms/" + Paths.segment(vm.id(options)) + "/resize", body));
            return 0;
        }
    }

    static final class Delete extends ApiCommand {
        private final VmRef vm = new VmRef(this);
        private final OptionSpec purge = add(CommandModel.flag("--purge", "also delete the disk"));

        Delete() {
            super("delete", "Delete a VM (by id or name). The vm pool retains its disk (listed as a Released volume) unless --purge.");
        }

        @Override
        public Integer call() {
            boolean json = options.json();
            boolean purge = CommandModel.given(this.purge);
            String id = vm.id(options);
            JsonNode r = options.client().delete("/api/v1/vms/" + Paths.segment(id) + (purge ? "?purge=true" : ""));
            if (json) {
                Output.json(spec, r);
            } else {
                say("VM " + vm.ref() + (vm.ref().equals(id) ? "" : " (" + id + ")") + " deleted; disk " + r.path("disk").path("result").asText()
                        + " (" + r.path("disk").path("path").asText() + ")");
            }
            return 0;
        }
    }
}
