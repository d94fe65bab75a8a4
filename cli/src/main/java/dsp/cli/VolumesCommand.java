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

/** Volumes (every allocation; VM disks included). */
public final class VolumesCommand implements Runnable {

    final CommandSpec spec = CommandModel.withStandardHelp(CommandModel.subcommands(
            CommandModel.command(this, "volumes", "Create, list and delete volumes."),
            new ListVolumes().model(), new Get().model(), new Create().model(), new Delete().model()));

    /** This command's model, with its subcommands'. */
    CommandSpec model() {
        return spec;
    }

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    static final List<Output.Column> COLUMNS = List.of(Output.col("ID", "id"), Output.col("NAME", "name"), Output.col("POOL", "pool"),
            Output.col("NODE", "node"), new Output.Column("SIZE", n -> n.path("size_gb").asText() + " GB"),
            Output.col("FORMAT", "format"), Output.col("PHASE", "phase"), Output.col("OWNER", "owner"));

    static final class ListVolumes extends ApiCommand {
        private final OptionSpec pool = add(CommandModel.option("--pool", "pool", String.class));

        ListVolumes() {
            super("list", "List volumes.");
        }

        @Override
        public Integer call() {
            boolean json = options.json();
            String pool = this.pool.getValue();
            String q = pool == null ? "" : "?pool=" + URLEncoder.encode(pool, StandardCharsets.UTF_8);
            Output.many(spec, json, options.client().get("/api/v1/volumes" + q), "volumes", COLUMNS);
            return 0;
        }
    }

    static final class Create extends ApiCommand {
        private final PositionalParamSpec name = add(CommandModel.parameter(0, "NAME", String.class));
        private final OptionSpec pool = add(CommandModel.option("--pool", "pool", String.class).required(true));
        private final OptionSpec size = add(CommandModel.option("--size", "size", String.class).required(true)
                .description("e.g. 100Gi, 50G, 1.5T"));
        private final OptionSpec format = add(CommandModel.option("--format", "format", String.class)
                .description("directory (default), qcow2 or raw"));

        Create() {
            super("create", "Create a volume (a directory unless --format).");
        }

        @Override
        public Integer call() {
            boolean json = options.json();
            String name = this.name.getValue();
            String pool = this.pool.getValue();
            String size = this.size.getValue();
            String format = this.format.getValue();
            ObjectNode body = JsonTrees.nodes().objectNode().put("name", name).put("pool", pool).put("size", size);
            if (format != null) {
                body.put("format", format);
            }
            Output.one(spec, json, options.client().post("/api/v1/volumes", body), COLUMNS);
            return 0;
        }
    }

    /** Names a volume by id or by name; the pool narrows a name found in several. */
    static final class VolumeRef {
        private final PositionalParamSpec ref = CommandModel.parameter(0, "VOLUME", String.class).description("the volume's id or name").build();
        private final OptionSpec pool = CommandModel.option("--pool", "pool", String.class)
                .description("the pool of a volume given by name").build();

        /** Its parameter and option, added to {@code command}. */
        VolumeRef(ApiCommand command) {
            command.spec.addPositional(ref).addOption(pool);
        }

        /** The volume as the command line gave it: an id or a name. */
        String ref() {
            return ref.getValue();
        }

        String id(ClientOptions options) {
            return Lookup.volume(options.client(), ref(), java.util.Optional.ofNullable(pool.getValue())).path("id").asText();
        }
    }

    static final class Get extends ApiCommand {
        private final VolumeRef volume = new VolumeRef(this);

        Get() {
            super("get", "Show one volume (by id or name) with the bytes it uses on disk.");
        }

        static final List<Output.Column> DETAIL = new java.util.ArrayList<>(COLUMNS);

        static {
            DETAIL.add(new Output.Column("ON DISK", n -> n.path("measured_used_gb").asText("-") + " GB"));
        }

        @Override
        public Integer call() {
            boolean json = options.json();
            JsonNode v = options.client().get("/api/v1/volumes/" + Paths.segment(volume.id(options)));
            Output.one(spec, json, v, DETAIL);
            if (!json) {
                say("path: " + v.path("path").asText());
            }
            return 0;
        }
    }

    static final class Delete extends ApiCommand {
        private final VolumeRef volume = new VolumeRef(this);
        private final OptionSpec purge = add(CommandModel.flag("--purge", "remove the data of a retained volume too"));

        Delete() {
            super("delete", "Delete a volume (by id or name); in a Retain pool the first delete releases it, --purge removes its data.");
        }

        @Override
        public Integer call() {
            boolean purge = CommandModel.given(this.purge);
            String id = volume.id(options);
            JsonNode r = options.client().delete("/api/v1/volumes/" + Paths.segment(id) + (purge ? "?purge=true" : ""));
            say("volume " + volume.ref() + (volume.ref().equals(id) ? "" : " (" + id + ")") + " " + r.path("result").asText());
            return 0;
        }
    }
}
