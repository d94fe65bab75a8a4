package dsp.api;

import dsp.api.body.HistoryBodies;
import dsp.core.DomainException;
import dsp.core.history.CapacityHistory;
import dsp.core.operation.Operations;
import dsp.json.Json;
import io.javalin.http.Context;
import io.javalin.http.HandlerType;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.BooleanSupplier;
import com.fasterxml.jackson.core.JsonProcessingException;

/** Day-to-day operation: the dashboard and the capacity history it draws. */
final class OpsRoutes implements ApiRoutes {

    private static final String INITIAL_DATA = "/*INITIAL_DATA*/null";

    private final ApiServices services;
    private final String dashboard;
    private final BooleanSupplier authRequired;
    private final java.util.function.Supplier<java.util.Optional<Backups>> backups;

    /**
     * @param authRequired whether changes need a token (the dashboard then asks for one before moving a server)
     * @param backups      where backups are written, in standalone mode
     */
    OpsRoutes(ApiServices services, BooleanSupplier authRequired, java.util.function.Supplier<java.util.Optional<Backups>> backups) {
        this.services = services;
        this.dashboard = ProbeRoutes.resource("/dsp/api/dashboard.html");
        if (!dashboard.contains(INITIAL_DATA)) {
            throw new IllegalStateException("the dashboard page has no " + INITIAL_DATA + " placeholder");
        }
        this.authRequired = authRequired;
        this.backups = backups;
    }

    @Override
    public void register(RouteTable table) {
        table.get("/api/v1/history", this::history)
                .get("/api/v1/dashboard", ctx -> ctx.json(DashboardData.of(services, authRequired.getAsBoolean())))
                .get("/", this::page)
                .post("/api/v1/backup", this::backup)
                .post(RESTORE, this::restore)
                .get("/api/v1/backups/{name}", ctx -> {
                    ctx.contentType("application/zip").header("Content-Disposition", "attachment; filename=\"" + ctx.pathParam("name") + "\"");
                    ctx.result(backups().open(ctx.pathParam("name")));
                })
                .delete("/api/v1/backups/{name}", ctx -> {
                    backups().delete(ctx.pathParam("name"));
                    ctx.status(204);
                })
                .get("/api/v1/operations", ctx -> ctx.json(Map.of("operations",
                        services.operations().list().stream().map(OpsRoutes::operationJson).toList())))
                .get("/api/v1/operations/{id}", ctx -> ctx.json(operationJson(services.operations().get(ctx.pathParam("id")))));
    }

    /** {@code {"with_disks": true}}: also the disks of stopped VMs. */
    record BackupRequest(Boolean withDisks) {
    }

    private Backups backups() {
        return backups.get().orElseThrow(() -> DomainException.invalid("this server keeps no backups: in Kubernetes mode the state is "
                + "the StoragePool, PoolVolume and PoolVirtualMachine objects; back them up with poolctl backup FILE --kubeconfig FILE"));
    }

    /** {@code POST /api/v1/backup} {@code {"with_disks": false}}: 202 and the operation writing the backup. */
    private void backup(Context ctx) {
        Backups target = backups();
        boolean withDisks = ctx.body() != null && !ctx.body().isBlank()
                && Boolean.TRUE.equals(Requests.read(ctx, BackupRequest.class).withDisks());
        boolean disks = withDisks;
        accepted(ctx, services.operations().start("backup", disks ? "state, templates and stopped VMs' disks" : "state and templates",
                progress -> {
                    Backups.Written w = target.write(disks, progress);
                    Map<String, Object> out = new LinkedHashMap<>();
                    out.put("name", w.name());
                    out.put("bytes", w.bytes());
                    out.put("download", "/api/v1/backups/" + w.name());
                    out.put("servers", w.servers());
                    out.put("volumes", w.volumes());
                    out.put("vms", w.vms());
                    out.put("templates", w.templates());
                    out.put("disks", w.disks());
                    return out;
                }));
    }

    /** The route whose body is a backup file, streamed to disk rather than buffered (see {@link BodyBuffering}). */
    static final String RESTORE = "/api/v1/restore";

    /**
     * {@code POST /api/v1/restore[?force=true]} with a backup zip as the body ({@code Content-Type: application/zip}):
     * the whole file is checked (a bad one is a 400, a server that holds anything a 409 unless forced), then
     * 202 and the operation restoring it.
     */
    private void restore(Context ctx) throws java.io.IOException {
        Backups target = backups();
        boolean force = Query.flag(ctx, "force");
        Backups.Received sent = target.receive(ctx.req().getInputStream());
        accepted(ctx, services.operations().startChecked("restore", "backup of " + sent.bytes() + " bytes" + (force ? " (forced)" : ""),
                CHECKS, (checked, progress) -> {
                    Backups.Restoration r = target.restore(sent, force, checked, progress);
                    Map<String, Object> out = new LinkedHashMap<>();
                    out.put("servers", r.servers());
                    out.put("volumes", r.volumes());
                    out.put("vms", r.vms());
                    out.put("templates", r.templates());
                    out.put("disks", r.disks());
                    out.put("recreated", r.recreated());
                    out.put("set_aside", r.setAside().orElse(null));
                    return out;
                }));
    }

    /**
     * Whether the caller asked for a long request to run as an operation ({@code Prefer: respond-async},
     * RFC 7240, or {@code ?async=true}): it then gets 202 and the operation to follow.
     */
    static boolean wantsAsync(Context ctx) {
        String prefer = ctx.header("Prefer");
        String async = ctx.queryParam("async");
        if (async != null && !async.equals("true") && !async.equals("false")) {
            throw DomainException.invalid("async must be true or false, not '" + async + "'");
        }
        return "true".equals(async) || (prefer != null && prefer.toLowerCase(java.util.Locale.ROOT).contains("respond-async"));
    }

    /** 202 Accepted with the operation and where to read it. */
    static void accepted(Context ctx, Operations.Operation op) {
        ctx.status(202).header("Location", OPERATION_PATH + op.id()).json(operationJson(op));
    }

    private static final String OPERATION_PATH = "/api/v1/operations/";

    /** Whether the answer was a 202 for an operation (which is counted in the metrics when it ends, not now). */
    static boolean startedAnOperation(Context ctx) {
        String location = ctx.res().getHeader("Location");
        return ctx.statusCode() == 202 && location != null && location.startsWith(OPERATION_PATH);
    }

    /** How long a request waits for the checks of work it runs as an operation before it answers 202 anyway. */
    static final Duration CHECKS = Duration.ofSeconds(60);

    static Map<String, Object> operationJson(Operations.Operation op) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", op.id());
        m.put("kind", op.kind());
        m.put("target", op.target());
        m.put("state", op.state().display());
        Map<String, Object> progress = new LinkedHashMap<>();
        progress.put("done", op.done());
        progress.put("total", op.total());
        progress.put("percent", op.percent().map(Json::number).orElse(null));
        progress.put("step", op.step());
        m.put("progress", progress);
        m.put("started_at", op.startedAt().toString());
        m.put("finished_at", op.finishedAt().map(Object::toString).orElse(null));
        m.put("result", op.result().orElse(null));
        // the same wording rules as every other error: no Java names; a storage failure names no host path
        m.put("error", op.error().map(e -> new dsp.api.body.ErrorBody.Detail(e.code().name().toLowerCase(java.util.Locale.ROOT),
                e.code() == DomainException.Code.STORAGE_FAILED ? ErrorMapping.withoutHostPaths(ErrorMapping.withoutJavaNames(e.getMessage()))
                        : ErrorMapping.withoutJavaNames(e.getMessage()))).orElse(null));
        m.put("href", "/api/v1/operations/" + op.id());
        return m;
    }

    /** The page with its data inlined, so the first paint (and a screenshot taken at load) shows the figures. */
    private void page(Context ctx) throws JsonProcessingException {
        String data = Json.MAPPER.writeValueAsString(DashboardData.of(services, authRequired.getAsBoolean()))
                .replace("<", "\\u003c"); // no "</script>" can end the script early
        ctx.contentType("text/html; charset=utf-8").header("Cache-Control", "no-store").result(dashboard.replace(INITIAL_DATA, data));
    }

    /** {@code GET /api/v1/history?hours=N}: pool capacity samples, oldest first (default: all that are kept). */
    private void history(Context ctx) {
        CapacityHistory history = services.history();
        Duration window = history.retention();
        String hours = ctx.queryParam("hours");
        if (hours != null) {
            try {
                double h = Double.parseDouble(hours);
                if (!(h > 0 && h <= 24 * 365)) {
                    throw new NumberFormatException();
                }
                window = Duration.ofSeconds((long) (h * 3600));
            } catch (NumberFormatException e) {
                throw DomainException.invalid("hours must be a positive number of hours, not '" + hours + "'");
            }
        }
        Instant since = services.queries().status().checkedAt().minus(window);
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("retention_hours", history.retention().toHours());
        out.put("samples", history.since(since).stream().map(HistoryBodies.Sample::of).toList());
        ctx.json(out);
    }
}
