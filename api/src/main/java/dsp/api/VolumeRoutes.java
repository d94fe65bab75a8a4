package dsp.api;

import dsp.api.body.VolumeBodies;
import dsp.core.DomainException;
import dsp.core.model.Allocation;
import dsp.core.model.VolumeFormat;
import io.javalin.http.Context;
import java.util.Optional;

/** Volumes by hand (standalone's stand-in for PVCs) and the guide's pool cleanup. */
final class VolumeRoutes implements ApiRoutes {

    private final ApiServices services;
    private final PoolMetrics metrics;

    VolumeRoutes(ApiServices services, PoolMetrics metrics) {
        this.services = services;
        this.metrics = metrics;
    }

    @Override
    public void register(RouteTable table) {
        table.post("/api/v1/volumes", this::createVolume)
                .get("/api/v1/volumes", ctx -> ctx.json(new VolumeBodies.Volumes(
                        services.volumes().list(Optional.ofNullable(ctx.queryParam("pool"))).stream().map(this::view).toList())))
                .get("/api/v1/volumes/{id}", ctx -> {
                    Allocation a = services.volumes().get(ctx.pathParam("id"));
                    ctx.json(view(a).measured(services.volumes().measuredBytes(a)));
                })
                .delete("/api/v1/volumes/{id}", this::deleteVolume)
                .post("/api/v1/cleanup", this::cleanup)
                .get("/api/v1/cleanup/{run}", this::cleanupRun);
    }

    private VolumeBodies.Volume view(Allocation a) {
        return VolumeBodies.Volume.of(a, services.volumes().pathOf(a));
    }

    private void createVolume(Context ctx) {
        VolumeBodies.CreateVolume body = Requests.read(ctx, VolumeBodies.CreateVolume.class);
        Allocation a = services.volumes().create(body.name(), body.pool(), body.size().bytes(),
                Optional.ofNullable(body.format()).map(VolumeFormat::parse));
        ctx.status(201).json(view(a));
    }

    /** The guide's pool cleanup; with Prefer: respond-async, 202 and an operation. Results are counted in the metrics. */
    private void cleanup(Context ctx) {
        boolean dryRun = Query.flag(ctx, "dry_run");
        if (OpsRoutes.wantsAsync(ctx)) {
            OpsRoutes.accepted(ctx, services.operations().start("cleanup", dryRun ? "dry run" : "all servers",
                    progress -> counted(services.cleanup().run(dryRun, progress))));
            return;
        }
        ctx.json(counted(services.cleanup().run(dryRun)));
    }

    private VolumeBodies.Cleanup counted(dsp.core.usecase.CleanupService.Report report) {
        metrics.recordCleanup(report.dryRun(), report.items().size(), report.bytes());
        return VolumeBodies.Cleanup.of(report);
    }

    /** Where a cleanup run stands (Kubernetes mode: nodes answer one by one, through their agents). */
    private void cleanupRun(Context ctx) {
        String run = ctx.pathParam("run");
        ctx.json(VolumeBodies.Cleanup.of(services.cleanup().progress(run).orElseThrow(() -> DomainException.notFound(
                "no server is part of cleanup run '" + ErrorMapping.printable(run) + "' (a newer run replaced it, or it never ran)"))));
    }

    private void deleteVolume(Context ctx) {
        boolean purge = Query.flag(ctx, "purge");
        Allocation before = services.volumes().get(ctx.pathParam("id"));
        Optional<Allocation> kept = services.volumes().delete(before.id(), purge);
        ctx.json(new VolumeBodies.Deleted(before.id(), kept.isPresent() ? "released" : "deleted", services.volumes().pathOf(before)));
    }
}
