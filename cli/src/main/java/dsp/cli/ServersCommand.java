package dsp.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dsp.cli.client.JsonTrees;
import dsp.core.model.Names;
import java.io.PrintWriter;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Model.PositionalParamSpec;

/** The server inventory: the standalone counterpart of {@code kubectl label node X pool=...}. */
public final class ServersCommand implements Runnable {

    final CommandSpec spec = CommandModel.withStandardHelp(CommandModel.subcommands(
            CommandModel.command(this, "servers", "List servers and put them in pools."),
            new List().model(), new SetPool().model(), new Remove().model(), new Drain().model()));

    /** This command's model, with its subcommands'. */
    CommandSpec model() {
        return spec;
    }

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    static final java.util.List<Output.Column> COLUMNS = java.util.List.of(Output.col("NAME", "name"), Output.col("POOL", "pool"),
            new Output.Column("CAPACITY", n -> n.path("capacity_gb").asText() + " GB"),
            new Output.Column("USED", n -> n.path("used_capacity_gb").asText() + " GB"),
            new Output.Column("AVAILABLE", n -> n.path("available_capacity_gb").asText() + " GB"),
            Output.col("VOLS", "allocations"),
            new Output.Column("STRANDED", n -> n.path("stranded_allocations").asInt() > 0 ? n.path("stranded_allocations").asText() : "-"));

    static final class List extends ApiCommand {
        List() {
            super("list", "List every server with its pool and figures.");
        }

        @Override
        public Integer call() throws Exception {
            boolean json = options.json();
            Output.many(spec, json, options.client().get("/api/v1/servers"), "servers", COLUMNS);
            return 0;
        }
    }

    static final class SetPool extends ApiCommand {
        private final PositionalParamSpec name = add(CommandModel.parameter(0, "NAME", String.class));
        private final PositionalParamSpec pool = add(CommandModel.parameter(1, "POOL", String.class));
        private final OptionSpec capacity = add(CommandModel.option("--capacity", "capacity", String.class)
                .description("override the pool's per-server share, e.g. 2T or 2000G"));

        SetPool() {
            super("set-pool", "Add a server to a pool or move it (like `kubectl label node NAME pool=POOL --overwrite`); "
                    + "POOL 'none' takes it out of its pool and keeps its data (like `pool-`).");
        }

        @Override
        public Integer call() throws Exception {
            boolean json = options.json();
            String name = this.name.getValue();
            String pool = this.pool.getValue();
            String capacity = this.capacity.getValue();
            Names.requireServer(name);
            ObjectNode body = JsonTrees.nodes().objectNode();
            if (pool.equals("none") || pool.equals("-")) {
                body.putNull("pool");
            } else {
                body.put("pool", pool);
            }
            if (capacity != null) {
                body.put("capacity", capacity);
            }
            JsonNode server = options.client().put("/api/v1/servers/" + name, body);
            if (json) {
                Output.json(spec, server);
            } else {
                PrintWriter out = spec.commandLine().getOut();
                out.println(server.path("pool").isNull()
                        ? "server " + name + " is in no pool now (its data stays where it is)"
                        : "server " + name + " is in pool " + server.path("pool").asText() + " with " + server.path("capacity_gb").asText() + " GB");
                out.flush();
            }
            return 0;
        }
    }

    static final class Remove extends ApiCommand {
        private final PositionalParamSpec name = add(CommandModel.parameter(0, "NAME", String.class));

        Remove() {
            super("remove", "Forget a server that holds no allocations (refused while it holds any).");
        }

        @Override
        public Integer call() {
            String name = this.name.getValue();
            Names.requireServer(name);
            options.client().delete("/api/v1/servers/" + name);
            say("server " + name + " removed");
            return 0;
        }
    }

    static final java.util.List<Output.Column> DRAIN_COLUMNS = java.util.List.of(Output.col("VOLUME", "name"), Output.col("POOL", "pool"),
            Output.col("FORMAT", "format"), new Output.Column("SIZE", n -> n.path("size_gb").asText() + " GB"),
            new Output.Column("VM", n -> n.path("vm").isNull() ? "-" : n.path("vm").asText()), Output.col("ACTION", "action"),
            new Output.Column("TARGET", n -> n.path("target").isNull() ? "-" : n.path("target").asText()),
            new Output.Column("REASON", n -> n.path("reason").isNull() ? "" : n.path("reason").asText()));

    static final class Drain extends ApiCommand {
        private final PositionalParamSpec name = add(CommandModel.parameter(0, "NAME", String.class));
        private final OptionSpec dryRun = add(CommandModel.flag("--dry-run", "show what would move and what would stay; change nothing"));

        Drain() {
            super("drain", "Before a server leaves or changes pool: show what it holds and move the disks of stopped VMs to other "
                    + "servers of their pool (copied, checked with qemu-img compare, switched, then the original deleted); "
                    + "what cannot move is listed with the reason. Exits non-zero when something stays.");
        }

        @Override
        public Integer call() {
            String name = this.name.getValue();
            boolean dryRun = CommandModel.given(this.dryRun);
            Names.requireServer(name);
            var client = options.client();
            String path = "/api/v1/servers/" + name + "/drain";
            JsonNode r = dryRun ? client.post(path + "?dry_run=true", JsonTrees.nodes().objectNode())
                    : Progress.follow(client, client.postAsync(path, JsonTrees.nodes().objectNode()), spec.commandLine().getErr(), Progress.terminal());
            if (options.json()) {
                Output.json(spec, r);
            } else {
                Output.table(spec, r.path("volumes"), DRAIN_COLUMNS);
                say(dryRun ? "server " + name + ": " + r.path("moved").asLong() + " volume(s) would move, " + r.path("not_moved").asLong()
                        + " would stay" : "server " + name + ": " + r.path("moved").asLong() + " volume(s) moved, "
                        + r.path("not_moved").asLong() + " not moved");
            }
            if (!dryRun && !r.path("drained").asBoolean()) {
                JsonNode first = null;
                for (JsonNode v : r.path("volumes")) {
                    if (!"moved".equals(v.path("action").asText()) && first == null) {
                        first = v;
                    }
                }
                throw new dsp.cli.client.CliFailure(dsp.cli.client.CliFailure.REFUSED, "server " + name + " still holds "
                        + r.path("not_moved").asLong() + " volume(s)" + (first == null ? "" : ", e.g. " + first.path("name").asText()
                        + ": " + first.path("reason").asText()));
            }
            return 0;
        }
    }
}
