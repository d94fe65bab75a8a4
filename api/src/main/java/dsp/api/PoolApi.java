package dsp.api;

import dsp.core.port.Authenticator;
import dsp.core.port.Authorizer;
import dsp.json.Json;
import io.javalin.Javalin;
import io.javalin.http.Context;
import io.javalin.http.Handler;
import io.javalin.http.HandlerType;
import io.javalin.json.JavalinJackson;
import jakarta.servlet.DispatcherType;
import java.time.Clock;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.BooleanSupplier;
import org.eclipse.jetty.server.ConnectionLimit;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.servlet.FilterHolder;
import org.eclipse.jetty.util.BlockingArrayQueue;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

/**
 * The HTTP API: serves the route groups it is given (the guide's endpoints and the rest) behind
 * the same gate. Every request is checked by {@link RequestGuard}; a change also needs
 * {@link Authentication}, the {@link Authorizer}'s consent to its {@link ChangeAccess}, a writable replica and its {@link Auditing} begin entry before it runs;
 * every failure goes through {@link ErrorMapping}; {@link HttpLimits} bound what a client takes.
 * Handlers only translate; the core decides.
 */
public final class PoolApi {

    private final ApiServices services;
    private final PoolMetrics metrics;
    private final RouteTable table = new RouteTable();
    private final ErrorMapping errors = new ErrorMapping();
    private BooleanSupplier writable = () -> true;
    private String notWritable = "";
    private java.util.function.Supplier<Optional<String>> liveness = Optional::empty;
    private Optional<Authenticator> authenticator = Optional.empty();
    private Authorizer authorizer = Authorizer.AUTHENTICATED;
    private Optional<Backups> backups = Optional.empty();
    private AuditTrail trail = AuditTrail.NONE;
    private Set<String> allowedHosts = Set.of();
    private HttpLimits limits = HttpLimits.defaults();
    private Clock clock = Clock.systemUTC();
    private Javalin app;

    public PoolApi(ApiServices services) {
        this(services, new PoolMetrics(Clock.systemUTC()));
    }

    /** @param metrics shared with what runs beside the API (e.g. the provisioner's claim latencies) */
    public PoolApi(ApiServices services, PoolMetrics metrics) {
        this.services = services;
        this.metrics = metrics.observe(services);
        services.operations().recordTo(metrics::record); // long operations are counted when they end
        add(new PoolRoutes(services));
        add(new VmRoutes(services));
        add(new VolumeRoutes(services, metrics));
        add(new TemplateRoutes(services));
        add(new ProbeRoutes(services, metrics, () -> liveness.get()));
        add(new OpsRoutes(services, () -> authenticator.isPresent(), () -> backups));
    }

    /** Serves a further group of routes; must be called before {@link #start}. */
    public PoolApi add(ApiRoutes group) {
        group.register(table);
        return this;
    }

    /** One further route; must be called before {@link #start}. */
    public void addRoute(HandlerType method, String path, Handler handler) {
        table.add(method, path, handler);
    }

    /** What /healthz reports: why the process cannot recover by itself (a liveness probe restarts it), empty while it can. */
    public void livenessFrom(java.util.function.Supplier<Optional<String>> problem) {
        this.liveness = problem;
    }

    /** Refuses changes (503) while {@code writable} is false, e.g. on a replica without the admission Lease. */
    public void guardWrites(BooleanSupplier writable, String why) {
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

    /** Who may make which change once authenticated (default: anyone the authenticator accepts). */
    public void authorizeWith(Authorizer authorizer) {
        this.authorizer = authorizer;
    }

    /** Backups through the API (standalone mode); without, the backup endpoints say how to back up instead. */
    /** Serves server drains ({@code POST /api/v1/servers/{name}/drain}); must be called before {@link #start}. */
    public PoolApi serveDrains(dsp.core.usecase.ServerDrain drain) {
        return add(new DrainRoutes(drain, services.operations()));
    }

    public void serveBackups(Backups backups) {
        this.backups = Optional.of(backups);
    }

    /** Where change requests are recorded; a change whose begin entry cannot be written is refused. */
    public void auditTo(AuditTrail trail) {
        this.trail = trail;
    }

    /** Host names clients may use besides the bind address (e.g. a Service's DNS name). */
    public void allowHosts(Set<String> names) {
        this.allowedHosts = Set.copyOf(names);
    }

    public void limits(HttpLimits limits) {
        this.limits = limits;
    }

    public void clock(Clock clock) {
        this.clock = clock;
    }

    public List<RouteTable.Route> routes() {
        return table.routes();
    }

    public Javalin start(String host, int port) {
        Authentication authentication = new Authentication(authenticator);
        Auditing auditing = new Auditing(trail, clock);
        RequestGuard guard = RequestGuard.forBind(host, allowedHosts);
        app = Javalin.create(cfg -> {
            cfg.showJavalinBanner = false;
            cfg.http.prefer405over404 = true;
            cfg.http.maxRequestSize = limits.maxBodyBytes();
            cfg.jsonMapper(new NewlineJsonMapper(new JavalinJackson(Json.MAPPER, false)));
            cfg.jetty.threadPool = new QueuedThreadPool(limits.maxThreads(), Math.min(8, limits.maxThreads()),
                    (int) Duration.ofMinutes(1).toMillis(), new BlockingArrayQueue<>(64, 64, 1024));
            cfg.jetty.modifyHttpConfiguration(http -> {
                http.setRequestHeaderSize(limits.maxHeaderBytes());
                http.setDelayDispatchUntilContent(true);
                // the per-connection header cache could hand back an earlier request's spelling of a header
                http.setHeaderCacheSize(0);
                http.setHeaderCacheCaseSensitive(true);
            });
            cfg.jetty.addConnector((server, http) -> {
                ServerConnector connector = new ServerConnector(server, new HttpConnectionFactory(http));
                connector.setHost(host);
                connector.setPort(port);
                connector.setIdleTimeout(limits.idleTimeout().toMillis());
                return connector;
            });
            cfg.jetty.modifyServer(server -> {
                server.addBean(new ConnectionLimit(limits.maxConnections(), server));
                server.setErrorHandler(new ErrorMapping.JettyErrors());
            });
            cfg.jetty.modifyServletContextHandler(context -> {
                context.addFilter(new FilterHolder(new BodyBuffering(limits)), "/*", EnumSet.of(DispatcherType.REQUEST, DispatcherType.ASYNC));
                context.setErrorHandler(new ErrorMapping.JettyErrors());
            });
            cfg.requestLogger.http((ctx, ms) -> metrics.recordRequest(ctx.method().name(), routeOf(ctx), ctx.statusCode(),
                    Duration.ofNanos((long) (ms * 1_000_000)), OpsRoutes.startedAnOperation(ctx)));
        });
        app.before(guard::check);
        app.after(ctx -> {
            if (RouteTable.Route.isChange(ctx.method())) {
                auditing.end(ctx);
            }
        });
        for (RouteTable.Route r : table.routes()) {
            app.addHttpHandler(r.method(), r.path(), r.changes() ? gated(r.handler(), authentication, auditing) : r.handler());
        }
        errors.register(app);
        app.start();
        return app;
    }

    /** A change runs only when authenticated, on a writable replica, and with its audit entry written. */
    private Handler gated(Handler handler, Authentication authentication, Auditing auditing) {
        return ctx -> {
            if (!authentication.admits(ctx)) {
                ctx.header("WWW-Authenticate", "Bearer");
                ErrorMapping.respond(ctx, 401, "unauthorized",
                        "changes need the header Authorization: Bearer <token> (poolctl sends $POOLCTL_TOKEN)");
                return;
            }
            if (authentication.enabled()) {
                Optional<String> refusal = ChangeAccess.of(ctx, services)
                        .map(access -> authorizer.refusal(Authentication.caller(ctx).orElseThrow(), access))
                        .orElse(Optional.of("no rule says who may make this change"));
                if (refusal.isPresent()) {
                    ErrorMapping.respond(ctx, 403, "forbidden", refusal.get());
                    return;
                }
            }
            if (!RequestGuard.bodyIsJson(ctx)) {
                return;
            }
            if (!writable.getAsBoolean()) {
                ErrorMapping.respond(ctx, 503, "not_leader", notWritable);
                return;
            }
            if (auditing.begin(ctx)) {
                handler.handle(ctx);
            }
        };
    }

    public int port() {
        return ((ServerConnector) app.jettyServer().server().getConnectors()[0]).getLocalPort();
    }

    public void stop() {
        if (app != null) {
            app.stop();
        }
    }

    /** The matched route pattern, so metrics do not grow a series per server name. */
    private static String routeOf(Context ctx) {
        try {
            String route = ctx.endpointHandlerPath();
            // Javalin 6 answers "No handler matched request path/method (404/405)" rather than throwing
            return route.startsWith("/") ? route : "unmatched";
        } catch (IllegalStateException unmatched) {
            return "unmatched";
        }
    }
}
