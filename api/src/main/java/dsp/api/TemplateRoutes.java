package dsp.api;

import dsp.api.body.TemplateBodies;
import dsp.core.DomainException;
import dsp.core.vm.Template;
import io.javalin.http.Context;
import java.util.Optional;

/** Templates: list, import (from the server's import directory), optimize, delete. */
final class TemplateRoutes implements ApiRoutes {

    private final ApiServices services;

    TemplateRoutes(ApiServices services) {
        this.services = services;
    }

    @Override
    public void register(RouteTable table) {
        table.get("/api/v1/templates", ctx -> ctx.json(new TemplateBodies.Templates(
                        services.templates().list().stream().map(this::view).toList(),
                        services.templates().imports().stream().map(TemplateBodies.UrlImportView::of).toList())))
                .get("/api/v1/templates/{name}", ctx -> ctx.json(view(services.templates().get(ctx.pathParam("name")))))
                .post("/api/v1/templates", this::importTemplate)
                .post("/api/v1/templates/{name}/optimize", this::optimize)
                .delete("/api/v1/templates/{name}", ctx -> {
                    services.templates().delete(ctx.pathParam("name"));
                    ctx.status(204);
                });
    }

    /**
     * A local file ({@code source}), or fetched by URL ({@code url} + {@code sha256}): 201 with the
     * template once every server that needs it holds it (standalone), else 202 with each vm node's
     * progress (Kubernetes: every vm node's agent fetches its copy; GET shows them).
     */
    private void importTemplate(Context ctx) {
        TemplateBodies.Import body = Requests.read(ctx, TemplateBodies.Import.class);
        if ((body.source() == null) == (body.url() == null)) {
            throw DomainException.invalid("give either source (a file in the import directory) or url and sha256");
        }
        if (body.source() != null) {
            if (OpsRoutes.wantsAsync(ctx)) {
                // a multi-GB image takes a while: 202 and an operation with byte progress
                dsp.core.model.Names.require("template", body.name());
                OpsRoutes.accepted(ctx, services.operations().start("template_import", body.name(),
                        progress -> view(services.templates().importTemplate(body.name(), body.source(), progress))));
                return;
            }
            ctx.status(201).json(view(services.templates().importTemplate(body.name(), body.source())));
            return;
        }
        var done = services.templates().importFromUrl(body.name(), body.url(), body.sha256());
        if (done.ready()) {
            ctx.status(201).json(view(services.templates().get(body.name())));
        } else {
            ctx.status(202).json(TemplateBodies.UrlImportView.of(done));
        }
    }

    /** qemu-img convert -c and compare take a while: with Prefer: respond-async, 202 and an operation. */
    private void optimize(Context ctx) {
        String name = ctx.pathParam("name");
        if (OpsRoutes.wantsAsync(ctx)) {
            services.templates().get(name); // a template that does not exist is a 404 now, not a failed operation
            OpsRoutes.accepted(ctx, services.operations().start("template_optimize", name, progress -> {
                progress.progress(0, 0, "compressing and verifying with qemu-img");
                return TemplateBodies.Optimized.of(services.templates().optimize(name, progress));
            }));
            return;
        }
        ctx.json(TemplateBodies.Optimized.of(services.templates().optimize(name)));
    }

    private TemplateBodies.TemplateView view(Template t) {
        long children = services.volumes().list(Optional.empty()).stream()
                .filter(a -> a.template().map(t.name()::equals).orElse(false)).count();
        return TemplateBodies.TemplateView.of(t, children);
    }
}
