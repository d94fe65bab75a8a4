package dsp.api;

import com.fasterxml.jackson.databind.JsonNode;
import dsp.core.DomainException;
import dsp.core.port.Authorizer.Access;
import dsp.core.vm.VmView;
import dsp.json.Json;
import io.javalin.http.Context;
import java.io.IOException;
import java.util.Map;
import java.util.Optional;
import java.util.function.BiFunction;

/**
 * The change each route makes, in the system's own words, for authorization: what it does
 * (create, update, delete) to what (servers, vms, volumes, templates, cleanups), in which
 * namespace (a VM's: the body's for a new one, the VM's own otherwise) and to which object.
 * Every route that changes something has an entry; a test keeps it so.
 */
final class ChangeAccess {

    private static final Map<String, BiFunction<Context, ApiServices, Access>> RULES = Map.ofEntries(
            Map.entry("PUT /api/v1/servers/{name}", (ctx, s) -> Access.of("update", "servers").named(ctx.pathParam("name"))),
            Map.entry("DELETE /api/v1/servers/{name}", (ctx, s) -> Access.of("delete", "servers").named(ctx.pathParam("name"))),
            Map.entry("POST /api/v1/servers/{name}/drain", (ctx, s) -> Access.of("update", "servers").named(ctx.pathParam("name"))),
            Map.entry("POST /api/v1/vms", (ctx, s) -> withName(Access.of("create", "vms").in(bodyText(ctx, "namespace").orElse("default")),
                    bodyText(ctx, "name"))),
            Map.entry("DELETE /api/v1/vms/{vm_id}", (ctx, s) -> vm(Access.of("delete", "vms"), ctx, s)),
            Map.entry("POST /api/v1/vms/{vm_id}/resize", (ctx, s) -> vm(Access.of("update", "vms"), ctx, s)),
            Map.entry("POST /api/v1/volumes", (ctx, s) -> withName(Access.of("create", "volumes"), bodyText(ctx, "name"))),
            Map.entry("DELETE /api/v1/volumes/{id}", (ctx, s) -> Access.of("delete", "volumes").named(ctx.pathParam("id"))),
            Map.entry("POST /api/v1/cleanup", (ctx, s) -> Access.of("create", "cleanups")),
            Map.entry("POST /api/v1/templates", (ctx, s) -> withName(Access.of("create", "templates"), bodyText(ctx, "name"))),
            Map.entry("POST /api/v1/templates/{name}/optimize", (ctx, s) -> Access.of("update", "templates").named(ctx.pathParam("name"))),
            Map.entry("DELETE /api/v1/templates/{name}", (ctx, s) -> Access.of("delete", "templates").named(ctx.pathParam("name"))),
            Map.entry("POST /api/v1/backup", (ctx, s) -> Access.of("create", "backups")),
            Map.entry("POST /api/v1/restore", (ctx, s) -> Access.of("create", "restores")),
            Map.entry("DELETE /api/v1/backups/{name}", (ctx, s) -> Access.of("delete", "backups").named(ctx.pathParam("name"))));

    private ChangeAccess() {
    }

    static boolean covers(RouteTable.Route route) {
        return RULES.containsKey(route.method().name() + " " + route.path());
    }

    /** Empty for a change route nobody wrote a rule for: such a change is refused (fail closed). */
    static Optional<Access> of(Context ctx, ApiServices services) {
        var rule = RULES.get(ctx.method().name() + " " + ctx.endpointHandlerPath());
        return rule == null ? Optional.empty() : Optional.of(rule.apply(ctx, services));
    }

    /** An existing VM: its own namespace and name; one that does not exist is asked about cluster-wide (no hint that it exists). */
    private static Access vm(Access access, Context ctx, ApiServices services) {
        try {
            VmView v = services.vms().get(ctx.pathParam("vm_id"));
            return access.in(v.vm().namespace()).named(v.vm().name());
        } catch (DomainException notFound) {
            return access;
        }
    }

    private static Access withName(Access access, Optional<String> name) {
        return name.map(access::named).orElse(access);
    }

    /** A field of the JSON body as sent (the route itself rejects a malformed body afterwards). */
    private static Optional<String> bodyText(Context ctx, String field) {
        try {
            JsonNode body = Json.MAPPER.readTree(ctx.body());
            return body != null && body.path(field).isTextual() ? Optional.of(body.path(field).asText()) : Optional.empty();
        } catch (IOException | RuntimeException malformed) {
            return Optional.empty();
        }
    }
}
