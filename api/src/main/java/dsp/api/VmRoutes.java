package dsp.api;

import dsp.json.Json;

import com.fasterxml.jackson.databind.JsonNode;
import dsp.core.DomainException;
import dsp.core.model.Allocation;
import dsp.core.model.VolumeFormat;
import dsp.core.vm.CreateVm;
import dsp.core.vm.Template;
import io.javalin.http.Context;
import io.javalin.http.HandlerType;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/** The guide's VM API plus volumes, templates and server types. */
final class VmRoutes {

    private static final Set<String> CREATE_FIELDS = Set.of("name", "image", "server_type", "cpu", "memory", "storage",
            "namespace", "disk_format");

    private final ApiServices services;

    VmRoutes(ApiServices services) {
        this.services = services;
    }

    void register(PoolApi api) {
        api.addRoute(HandlerType.POST, "/api/v1/vms", this::createVm);
        api.addRoute(HandlerType.GET, "/api/v1/vms", ctx -> ctx.json(Map.of("vms",
                services.vms().list(Optional.ofNullable(ctx.queryParam("namespace"))).stream().map(VmJson::vm).toList())));
        api.addRoute(HandlerType.GET, "/api/v1/vms/{vm_id}", ctx -> ctx.json(VmJson.vm(services.vms().get(ctx.pathParam("vm_id")))));
        api.addRoute(HandlerType.DELETE, "/api/v1/vms/{vm_id}", this::deleteVm);
        api.addRoute(HandlerType.POST, "/api/v1/vms/{vm_id}/resize", this::resizeVm);
        api.addRoute(HandlerType.GET, "/api/v1/server-types", ctx -> ctx.json(Map.of("server_types",
                services.vms().serverTypes().stream().map(VmJson::serverType).toList())));

        api.addRoute(HandlerType.POST, "/api/v1/volumes", this::createVolume);
        api.addRoute(HandlerType.GET, "/api/v1/volumes", ctx -> ctx.json(Map.of("volumes",
                services.volumes().list(Optional.ofNullable(ctx.queryParam("pool"))).stream()
                        .map(a -> VmJson.volume(a, services.volumes().pathOf(a))).toList())));
        api.addRoute(HandlerType.GET, "/api/v1/volumes/{id}", ctx -> {
            Allocation a = services.volumes().get(ctx.pathParam("id"));
            Map<String, Object> body = VmJson.volume(a, services.volumes().pathOf(a));
            body.put("measured_used_gb", Json.gb(services.volumes().measuredBytes(a)));
            ctx.json(body);
        });
        api.addRoute(HandlerType.DELETE, "/api/v1/volumes/{id}", this::deleteVolume);

        api.addRoute(HandlerType.POST, "/api/v1/cleanup", this::cleanup);
        api.addRoute(HandlerType.GET, "/api/v1/cleanup/{run}", this::cleanupRun);
        api.addRoute(HandlerType.GET, "/api/v1/templates", ctx -> ctx.json(Map.of("templates",
                services.templates().list().stream().map(this::templateJson).toList())));
        api.addRoute(HandlerType.GET, "/api/v1/templates/{name}", ctx -> ctx.json(templateJson(services.templates().get(ctx.pathParam("name")))));
        api.addRoute(HandlerType.POST, "/api/v1/templates", this::importTemplate);
        api.addRoute(HandlerType.POST, "/api/v1/templates/{name}/optimize", ctx -> {
            var r = services.templates().optimize(ctx.pathParam("name"));
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("name", r.name());
            out.put("bytes_before", r.bytesBefore());
            out.put("bytes_after", r.bytesAfter());
            out.put("saved_bytes", r.bytesBefore() - r.bytesAfter());
            ctx.json(out);
        });
        api.addRoute(HandlerType.DELETE, "/api/v1/templates/{name}", ctx -> {
            services.templates().delete(ctx.pathParam("name"));
            ctx.status(204);
        });
    }

    private void createVm(Context ctx) {
        JsonNode body = Requests.object(ctx, CREATE_FIELDS);
        CreateVm request = new CreateVm(
                Requests.requiredText(body, "name"),
                Requests.optionalText(body, "namespace"),
                Requests.requiredText(body, "image"),
                Requests.optionalText(body, "server_type"),
                Requests.optionalInt(body, "cpu"),
                Requests.optionalInt(body, "memory"),
                Requests.optionalSize(body, "storage"),
                Requests.optionalText(body, "disk_format").map(VolumeFormat::parse));
        ctx.status(201).json(VmJson.vm(services.vms().create(request)));
    }

    private void resizeVm(Context ctx) {
        JsonNode body = Requests.object(ctx, Set.of("new_size_gb"));
        long bytes = Requests.optionalSize(body, "new_size_gb")
                .orElseThrow(() -> DomainException.invalid("field 'new_size_gb' is required, e.g. {\"new_size_gb\": 100}"));
        ctx.json(VmJson.vm(services.vms().resize(ctx.pathParam("vm_id"), bytes)));
    }

    private void deleteVm(Context ctx) {
        boolean purge = purge(ctx);
        String id = ctx.pathParam("vm_id");
        Allocation disk = services.volumes().get(services.vms().get(id).disk().id());
        Optional<Allocation> kept = services.vms().delete(id, purge);
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("id", disk.id());
        d.put("name", disk.name());
        d.put("result", kept.isPresent() ? "released" : "deleted");
        d.put("path", services.volumes().pathOf(disk));
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("deleted", id);
        out.put("disk", d);
        ctx.json(out);
    }

    private void createVolume(Context ctx) {
        JsonNode body = Requests.object(ctx, Set.of("name", "pool", "size", "format"));
        long size = Requests.optionalSize(body, "size")
                .orElseThrow(() -> DomainException.invalid("field 'size' is required: GB as a number or a quantity such as \"100Gi\""));
        Allocation a = services.volumes().create(Requests.requiredText(body, "name"), Requests.requiredText(body, "pool"), size,
                Requests.optionalText(body, "format").map(VolumeFormat::parse));
        ctx.status(201).json(VmJson.volume(a, services.volumes().pathOf(a)));
    }

    private void deleteVolume(Context ctx) {
        boolean purge = purge(ctx);
        Allocation before = services.volumes().get(ctx.pathParam("id"));
        Optional<Allocation> kept = services.volumes().delete(before.id(), purge);
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("id", before.id());
        out.put("result", kept.isPresent() ? "released" : "deleted");
        out.put("path", services.volumes().pathOf(before));
        ctx.json(out);
    }

    private void importTemplate(Context ctx) {
        JsonNode body = Requests.object(ctx, Set.of("name", "source"));
        Template t = services.templates().importTemplate(Requests.requiredText(body, "name"), Requests.requiredText(body, "source"));
        ctx.status(201).json(templateJson(t));
    }

    private Map<String, Object> templateJson(Template t) {
        long children = services.volumes().list(Optional.empty()).stream().filter(a -> a.template().map(t.name()::equals).orElse(false)).count();
        return VmJson.template(t, children);
    }

    /** The guide's pool cleanup: orphans go to each pool's trash; {@code ?dry_run=true} shows the plan. */
    private void cleanup(Context ctx) {
        String dry = ctx.queryParam("dry_run");
        if (dry != null && !dry.equals("true") && !dry.equals("false")) {
            throw DomainException.invalid("dry_run must be true or false, not '" + dry + "'");
        }
        ctx.json(cleanupJson(services.cleanup().run("true".equals(dry))));
    }

    /** Where a cleanup run stands (Kubernetes mode: nodes answer one by one, through their agents). */
    private void cleanupRun(Context ctx) {
        String run = ctx.pathParam("run");
        ctx.json(cleanupJson(services.cleanup().progress(run).orElseThrow(() ->
                DomainException.notFound("no server is part of cleanup run '" + run + "' (a newer run replaced it, or it never ran)"))));
    }

    private static Map<String, Object> cleanupJson(dsp.core.usecase.CleanupService.Report report) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("run", report.run());
        out.put("dry_run", report.dryRun());
        out.put("at", report.at().toString());
        out.put("servers", report.servers());
        out.put("pending", report.pending());
        out.put("failed", report.failed().stream().map(o -> Map.of("server", o.server(), "message", o.error().orElse(""))).toList());
        out.put("count", report.items().size());
        out.put("bytes", report.bytes());
        out.put("moved", report.items().stream().map(i -> {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("server", i.server());
            m.put("pool", i.pool());
            m.put("entry", i.entry());
            m.put("bytes", i.bytes());
            m.put("trash", i.trash());
            return m;
        }).toList());
        return out;
    }

    private static boolean purge(Context ctx) {
        String p = ctx.queryParam("purge");
        if (p == null || p.equals("false")) {
            return false;
        }
        if (p.equals("true")) {
            return true;
        }
        throw DomainException.invalid("purge must be true or false, not '" + p + "'");
    }

}
