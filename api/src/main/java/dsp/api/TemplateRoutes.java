package dsp.api;

import dsp.api.body.TemplateBodies;
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
                        services.templates().list().stream().map(this::view).toList())))
                .get("/api/v1/templates/{name}", ctx -> ctx.json(view(services.templates().get(ctx.pathParam("name")))))
                .post("/api/v1/templates", this::importTemplate)
                .post("/api/v1/templates/{name}/optimize", ctx ->
                        ctx.json(TemplateBodies.Optimized.of(services.templates().optimize(ctx.pathParam("name")))))
                .delete("/api/v1/templates/{name}", ctx -> {
                    services.templates().delete(ctx.pathParam("name"));
                    ctx.status(204);
                });
    }

    private void importTemplate(Context ctx) {
        TemplateBodies.Import body = Requests.read(ctx, TemplateBodies.Import.class);
        ctx.status(201).json(view(services.templates().importTemplate(body.name(), body.source())));
    }

    private TemplateBodies.TemplateView view(Template t) {
        long children = services.volumes().list(Optional.empty()).stream()
                .filter(a -> a.template().map(t.name()::equals).orElse(false)).count();
        return TemplateBodies.TemplateView.of(t, children);
    }
}
