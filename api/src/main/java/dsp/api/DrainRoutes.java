package dsp.api;

import dsp.api.body.DrainBodies;
import dsp.core.model.Names;
import dsp.core.operation.Operations;
import dsp.core.usecase.ServerDrain;
import io.javalin.http.Context;

/**
 * {@code POST /api/v1/servers/{name}/drain}: before a server leaves or changes pool, what it holds
 * ({@code ?dry_run=true}: the plan, nothing changes) and the move of what can move; with
 * {@code Prefer: respond-async}, 202 and an operation counting the volumes moved.
 */
final class DrainRoutes implements ApiRoutes {

    private final ServerDrain drain;
    private final Operations operations;

    DrainRoutes(ServerDrain drain, Operations operations) {
        this.drain = drain;
        this.operations = operations;
    }

    @Override
    public void register(RouteTable table) {
        table.post("/api/v1/servers/{name}/drain", this::drain);
    }

    private void drain(Context ctx) {
        String server = Names.requireServer(ctx.pathParam("name"));
        boolean dryRun = Query.flag(ctx, "dry_run");
        boolean async = OpsRoutes.wantsAsync(ctx);
        ServerDrain.Report plan = drain.plan(server); // a server that does not exist is a 404 now, not a failed operation
        if (dryRun) {
            ctx.json(DrainBodies.Drain.of(plan));
        } else if (async) {
            OpsRoutes.accepted(ctx, operations.start("drain", server, progress -> DrainBodies.Drain.of(drain.drain(server, progress))));
        } else {
            ctx.json(DrainBodies.Drain.of(drain.drain(server, Operations.Progress.NONE)));
        }
    }
}
