package dsp.api;

import dsp.json.StatusJson;
import dsp.api.body.ServerBodies;
import dsp.core.DomainException;
import dsp.core.health.FleetStatus;
import dsp.core.health.PoolFigures;
import dsp.core.model.Names;
import dsp.core.usecase.ServerView;
import io.javalin.http.Context;

/** The guide's pool status and health, the pools, and the server inventory (Examples 1-3). */
final class PoolRoutes implements ApiRoutes {

    private final ApiServices services;

    PoolRoutes(ApiServices services) {
        this.services = services;
    }

    @Override
    public void register(RouteTable table) {
        table.get("/api/v1/pools/status", ctx -> ctx.json(StatusJson.status(services.queries().status())))
                // ?servers=false leaves out the servers whose disk fails its check: one entry each, 180 KB at 5,000
                .get("/api/v1/pools/health", ctx -> ctx.json(StatusJson.health(services.queries().status(), Query.flag(ctx, "servers", true))))
                .get("/api/v1/pools", ctx -> ctx.json(StatusJson.pools(services.queries().status())))
                .get("/api/v1/pools/{name}", this::getPool)
                .get("/api/v1/servers", ctx -> ctx.json(StatusJson.servers(services.queries().servers(), services.queries().serverFigures())))
                .get("/api/v1/servers/{name}", ctx -> {
                    String name = Names.requireServer(ctx.pathParam("name"));
                    ctx.json(StatusJson.server(services.queries().server(name), services.queries().serverFigures(name)));
                })
                .put("/api/v1/servers/{name}", this::putServer)
                .delete("/api/v1/servers/{name}", ctx -> {
                    services.servers().remove(Names.requireServer(ctx.pathParam("name")));
                    ctx.status(204);
                });
    }

    private void getPool(Context ctx) {
        String name = ctx.pathParam("name");
        FleetStatus status = services.queries().status();
        PoolFigures p = status.pool(name).orElseThrow(() -> DomainException.notFound("pool '" + ErrorMapping.printable(name)
                + "' does not exist; pools are " + status.pools().stream().map(f -> f.pool().name()).toList()));
        ctx.json(StatusJson.poolDetail(p));
    }

    private void putServer(Context ctx) {
        String name = Names.requireServer(ctx.pathParam("name"));
        ServerBodies.Assign body = Requests.read(ctx, ServerBodies.Assign.class);
        boolean existed = services.queries().hasServer(name);
        ServerView view = services.servers().assign(name, body.pool(), java.util.Optional.ofNullable(body.capacity()).map(s -> s.bytes()));
        ctx.status(existed ? 200 : 201).json(StatusJson.server(view));
    }
}
