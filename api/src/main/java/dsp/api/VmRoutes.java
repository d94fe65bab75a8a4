package dsp.api;

import dsp.api.body.Size;
import dsp.api.body.VmBodies;
import dsp.core.model.Allocation;
import dsp.core.model.VolumeFormat;
import dsp.core.vm.CreateVm;
import io.javalin.http.Context;
import java.util.Optional;

/** The guide's VM API (create, resize) plus list, get, delete and the server-type presets. */
final class VmRoutes implements ApiRoutes {

    private final ApiServices services;

    VmRoutes(ApiServices services) {
        this.services = services;
    }

    @Override
    public void register(RouteTable table) {
        table.post("/api/v1/vms", this::createVm)
                .get("/api/v1/vms", ctx -> ctx.json(new VmBodies.Vms(services.vms().list(Optional.ofNullable(ctx.queryParam("namespace")))
                        .stream().map(VmBodies.Vm::of).toList())))
                .get("/api/v1/vms/{vm_id}", ctx -> ctx.json(VmBodies.Vm.of(services.vms().get(ctx.pathParam("vm_id")))))
                .delete("/api/v1/vms/{vm_id}", this::deleteVm)
                .post("/api/v1/vms/{vm_id}/resize", this::resizeVm)
                .get("/api/v1/server-types", ctx -> ctx.json(new VmBodies.Presets(
                        services.vms().serverTypes().stream().map(VmBodies.Preset::of).toList())));
    }

    private void createVm(Context ctx) {
        VmBodies.CreateVm body = Requests.read(ctx, VmBodies.CreateVm.class);
        CreateVm request = new CreateVm(body.name(), Optional.ofNullable(body.namespace()), body.image(),
                Optional.ofNullable(body.serverType()), Optional.ofNullable(body.cpu()), Optional.ofNullable(body.memory()),
                Optional.ofNullable(body.storage()).map(Size::bytes), Optional.ofNullable(body.diskFormat()).map(VolumeFormat::parse));
        if (OpsRoutes.wantsAsync(ctx)) {
            // checked and admitted before the answer (a 4xx at once), then 202 while the disk is made
            OpsRoutes.accepted(ctx, services.operations().startChecked("vm_create", request.namespace().orElse("default") + "/" + body.name(),
                    OpsRoutes.CHECKS, (admitted, progress) -> VmBodies.Vm.of(services.vms().create(request, admitted, progress))));
            return;
        }
        ctx.status(201).json(VmBodies.Vm.of(services.vms().create(request)));
    }

    private void resizeVm(Context ctx) {
        VmBodies.Resize body = Requests.read(ctx, VmBodies.Resize.class);
        ctx.json(VmBodies.Vm.of(services.vms().resize(ctx.pathParam("vm_id"), body.newSizeGb().bytes())));
    }

    private void deleteVm(Context ctx) {
        boolean purge = Query.flag(ctx, "purge");
        String id = ctx.pathParam("vm_id");
        Allocation disk = services.vms().get(id).disk();
        Optional<Allocation> kept = services.vms().delete(id, purge);
        ctx.json(new VmBodies.Deleted(id, new VmBodies.DiskOutcome(disk.id(), disk.name(),
                kept.isPresent() ? "released" : "deleted", services.volumes().pathOf(disk))));
    }
}
