package dsp.api;

import dsp.json.Json;
import dsp.json.StatusJson;

import dsp.core.DomainException;
import dsp.core.health.FleetStatus;
import dsp.core.health.PoolFigures;
import dsp.core.model.Names;
import dsp.core.port.Authenticator;
import dsp.core.usecase.ServerView;
import com.fasterxml.jackson.databind.JsonNode;
import io.javalin.Javalin;
import io.javalin.http.Context;
import io.javalin.http.Handler;
import io.javalin.http.HandlerType;
import io.javalin.http.HttpResponseException;
import io.javalin.json.JavalinJackson;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP API on Javalin: the guide's endpoints with its exact JSON, the server inventory,
 * probes, metrics and the OpenAPI document. Handlers only translate; the core decides.
 */
public final class PoolApi {

    private static final Logger LOG = LoggerFactory.getLogger(PoolApi.class);

    /** A route as registered; the contract test checks these against the OpenAPI document. */
    public record Route(HandlerType method, String path, Handler handler) {
    }

    private final ApiServices services;
    private final PoolMetrics metrics;
    private final List<Route> routes = new ArrayList<>();
    private final String openApi;
    private final String dashboard;
    private Javalin app;
    private java.util.function.BooleanSupplier writable = () -> true;
    private String notWritable = "";
    private Optional<Authenticator> authenticator = Optional.empty();
    private java.util.function.Consumer<Map<String, Object>> audit = record -> { };

    public PoolApi(ApiServices services) {
        this.services = services;
        this.metrics = new PoolMetrics(services.queries());
        this.openApi = resource("/dsp/api/openapi.yaml");
        this.dashboard = resource("/dsp/api/dashboard.html");
        declareRoutes();
    }

    /** Extra routes contributed by later features (VMs, volumes); must be added before {@link #start}. */
    public void addRoute(HandlerType method, String path, Handler handler) {
        routes.add(new Route(method, path, handler));
    }

    /** Refuses changes (503) while {@code writable} is false, e.g. on a replica without the admission Lease. */
    public void guardWrites(java.util.function.BooleanSupplier writable, String why) {
        this.writable = writable;
        this.notWritable = why;
    }

    /** When set, every change needs {@code Authorization: Bearer <token>}; reads stay open. */
    public void requireToken(Optional<String> token) {
        requireAuthentication(token.filter(t -> !t.isBlank()).map(SharedTokenAuthenticator::new));
    }

    /** Changes need a bearer token this authenticator accepts (e.g. a Kubernetes TokenReview). */
    public void requireAuthentication(Optional<Authenticator> authenticator) {
        this.authenticator = authenticator;
    }

    /** Receives one record per change request (method, path, status, who, when), whatever its outcome. */
    public void auditTo(java.util.function.Consumer<Map<String, Object>> sink) {
        this.audit = sink;
    }

    public List<Route> routes() {
        return List.copyOf(routes);
    }

    private void declareRoutes() {
        addRoute(HandlerType.GET, "/api/v1/pools/status", ctx -> ctx.json(StatusJson.status(services.queries().status())));
        addRoute(HandlerType.GET, "/api/v1/pools/health", ctx -> ctx.json(StatusJson.health(services.queries().status())));
        addRoute(HandlerType.GET, "/api/v1/pools", ctx -> ctx.json(StatusJson.pools(services.queries().status())));
        addRoute(HandlerType.GET, "/api/v1/pools/{name}", this::getPool);
        addRoute(HandlerType.GET, "/api/v1/servers", ctx -> ctx.json(StatusJson.servers(services.queries().servers())));
        addRoute(HandlerType.GET, "/api/v1/servers/{name}", ctx -> ctx.json(StatusJson.server(
                services.queries().server(Names.require("server", ctx.pathParam("name"))))));
        addRoute(HandlerType.PUT, "/api/v1/servers/{name}", this::putServer);
        addRoute(HandlerType.DELETE, "/api/v1/servers/{name}", ctx -> {
            services.servers().remove(Names.require("server", ctx.pathParam("name")));
            ctx.status(204);
        });
        new VmRoutes(services).register(this);
        addRoute(HandlerType.GET, "/healthz", ctx -> ctx.json(Map.of("status", "ok")));
        addRoute(HandlerType.GET, "/readyz", ctx -> {
            boolean ready = services.ready().getAsBoolean();
            ctx.status(ready ? 200 : 503).json(Map.of("status", ready ? "ready" : "not ready"));
        });
        addRoute(HandlerType.GET, "/metrics", ctx -> ctx.contentType("text/plain; version=0.0.4; charset=utf-8").result(metrics.scrape()));
        addRoute(HandlerType.GET, "/openapi.yaml", ctx -> ctx.contentType("application/yaml").result(openApi));
        addRoute(HandlerType.GET, "/", ctx -> ctx.contentType("text/html; charset=utf-8").result(dashboard));
    }

    private void getPool(Context ctx) {
        String name = ctx.pathParam("name");
        FleetStatus status = services.queries().status();
        PoolFigures p = status.pool(name).orElseThrow(() -> DomainException.notFound("pool '" + name
                + "' does not exist; pools are " + status.pools().stream().map(f -> f.pool().name()).toList()));
        ctx.json(StatusJson.poolDetail(p));
    }

    private void putServer(Context ctx) {
        String name = Names.require("server", ctx.pathParam("name"));
        JsonNode body = Requests.object(ctx, Set.of("pool", "capacity"));
        if (!body.has("pool")) {
            throw DomainException.invalid("field 'pool' is required: a pool name to add or move the server, or null to take it out of its pool");
        }
        Optional<String> pool = Requests.optionalText(body, "pool");
        Optional<Long> capacity = Requests.optionalSize(body, "capacity");
        boolean existed = services.queries().hasServer(name);
        ServerView view = services.servers().assign(name, pool, capacity);
        ctx.status(existed ? 200 : 201).json(StatusJson.server(view));
    }

    public Javalin start(String host, int port) {
        app = Javalin.create(cfg -> {
            cfg.showJavalinBanner = false;
            cfg.http.prefer405over404 = true;
            cfg.jsonMapper(new JavalinJackson(Json.MAPPER, false));
            cfg.requestLogger.http((ctx, ms) -> {
                metrics.recordRequest(ctx.method().name(), routeOf(ctx), ctx.statusCode(), Duration.ofNanos((long) (ms * 1_000_000)));
                if (ctx.method() != HandlerType.GET && ctx.method() != HandlerType.HEAD && ctx.method() != HandlerType.OPTIONS) {
                    Map<String, Object> record = new java.util.LinkedHashMap<>();
                    record.put("time", java.time.Instant.now().toString());
                    record.put("method", ctx.method().name());
                    record.put("path", ctx.path());
                    record.put("status", ctx.statusCode());
                    record.put("remote", ctx.ip());
                    record.put("principal", Optional.ofNullable((String) ctx.attribute(PRINCIPAL)).orElse("anonymous"));
                    audit.accept(record);
                }
            });
        });
        for (Route r : routes) {
            Handler h = r.method() == HandlerType.GET ? r.handler() : ctx -> {
                if (!authorized(ctx)) {
                    ctx.status(401).header("WWW-Authenticate", "Bearer").json(ApiError.body("unauthorized",
                            "changes need the header Authorization: Bearer <token> (poolctl sends $POOLCTL_TOKEN)"));
                    return;
                }
                if (!writable.getAsBoolean()) {
                    ctx.status(503).json(ApiError.body("not_leader", notWritable));
                    return;
                }
                r.handler().handle(ctx);
            };
            app.addHttpHandler(r.method(), r.path(), h);
        }
        app.exception(DomainException.class, (e, ctx) -> {
            int code = switch (e.code()) {
                case INVALID -> 400;
                case NOT_FOUND -> 404;
                case CONFLICT -> 409;
                case INSUFFICIENT_CAPACITY -> 507;
                case STORAGE_FAILED -> 500;
            };
            ctx.status(code).json(ApiError.body(e.code().name().toLowerCase(), e.getMessage()));
        });
        app.exception(HttpResponseException.class, (e, ctx) ->
                ctx.status(e.getStatus()).json(ApiError.body(reason(e.getStatus()), e.getMessage())));
        app.exception(Exception.class, (e, ctx) -> {
            LOG.error("{} {} failed", ctx.method(), ctx.path(), e);
            ctx.status(500).json(ApiError.body("internal", "internal error: " + e.getClass().getSimpleName()
                    + (e.getMessage() == null ? "" : ": " + e.getMessage())));
        });
        app.error(404, ctx -> {
            if (ctx.result() == null || ctx.result().isEmpty()) {
                ctx.json(ApiError.body("not_found", "no such endpoint: " + ctx.method() + " " + ctx.path()));
            }
        });
        app.error(405, ctx -> ctx.json(ApiError.body("method_not_allowed", ctx.method() + " is not allowed on " + ctx.path())));
        app.start(host, port);
        return app;
    }

    public int port() {
        return app.port();
    }

    public void stop() {
        if (app != null) {
            app.stop();
        }
    }

    private static final String PRINCIPAL = "dsp.principal";

    /** Checks the bearer token once and remembers who it was, for the audit record. */
    private boolean authorized(Context ctx) {
        if (authenticator.isEmpty()) {
            return true;
        }
        String header = ctx.header("Authorization");
        if (header == null || !header.startsWith("Bearer ") || header.length() <= 7) {
            return false;
        }
        Optional<String> who = authenticator.get().principal(header.substring(7).strip());
        who.ifPresent(p -> ctx.attribute(PRINCIPAL, p));
        return who.isPresent();
    }

    /** The matched route pattern, so metrics do not grow a series per server name. */
    private static String routeOf(Context ctx) {
        try {
            return ctx.endpointHandlerPath();
        } catch (IllegalStateException unmatched) {
            return "unmatched";
        }
    }

    private static String reason(int status) {
        return switch (status) {
            case 400 -> "invalid";
            case 404 -> "not_found";
            case 405 -> "method_not_allowed";
            case 413 -> "too_large";
            default -> "http_" + status;
        };
    }

    private static String resource(String path) {
        try (InputStream in = PoolApi.class.getResourceAsStream(path)) {
            if (in == null) {
                throw new IllegalStateException("missing resource " + path);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalStateException("cannot read " + path, e);
        }
    }
}
