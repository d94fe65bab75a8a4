package dsp.api;

import dsp.json.Json;

import com.fasterxml.jackson.databind.JsonNode;
import dsp.core.ledger.CapacityLedger;
import dsp.core.ledger.WriteThroughAllocations;
import dsp.core.ledger.WriteThroughServers;
import dsp.core.memory.InMemoryAllocationStore;
import dsp.core.port.AllocationStore;
import dsp.core.port.ServerInventory;
import dsp.core.usecase.DiskSurvey;
import dsp.core.memory.InMemoryVmStore;
import dsp.core.memory.InMemoryVolumes;
import dsp.core.model.VolumeFormat;
import dsp.core.usecase.CleanupService;
import dsp.core.usecase.TemplateService;
import dsp.core.usecase.VmService;
import dsp.core.usecase.VolumeService;
import dsp.core.vm.ServerType;
import dsp.core.vm.Template;
import dsp.core.memory.InMemoryServerInventory;
import dsp.core.model.PoolCatalog;
import dsp.core.port.StorageMeter;
import dsp.core.usecase.CapacityAdmission;
import dsp.core.usecase.FleetLock;
import dsp.core.usecase.PoolQueries;
import dsp.core.usecase.ServerAdministration;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/** The API on a free port over the in-memory engine, with a tiny HTTP client. */
final class ApiHarness implements AutoCloseable {

    record Reply(int status, String body, String contentType) {
        JsonNode json() {
            try {
                return Json.MAPPER.readTree(body);
            } catch (Exception e) {
                throw new AssertionError("not JSON: " + body, e);
            }
        }
    }

    final CapacityLedger ledger;
    /** Read from the ledger, written through to in-memory records (as standalone mode does to SQLite). */
    final ServerInventory inventory;
    final AllocationStore store;
    final CapacityAdmission admission;
    final DiskSurvey survey;
    final InMemoryVmStore vms = new InMemoryVmStore();
    final InMemoryVolumes volumes;
    /** What the routes call; a test may read it directly (e.g. a {@link PoolMetrics} of its own over the same figures). */
    final ApiServices services;
    final PoolApi api;
    private final HttpClient http = HttpClient.newHttpClient();

    ApiHarness() {
        this(PoolCatalog.guideDefaults(), servers -> List.of());
    }

    /** With the server configured (a token, an audit trail...) before it starts. */
    ApiHarness(java.util.function.Consumer<PoolApi> configure) {
        this(PoolCatalog.guideDefaults(), servers -> List.of(), configure);
    }

    ApiHarness(PoolCatalog catalog, StorageMeter meter) {
        this(catalog, meter, api -> { });
    }

    ApiHarness(PoolCatalog catalog, StorageMeter meter, java.util.function.Consumer<PoolApi> configure) {
        Clock clock = Clock.systemUTC();
        FleetLock lock = new FleetLock();
        AtomicLong ids = new AtomicLong();
        ledger = new CapacityLedger(catalog);
        inventory = new WriteThroughServers(ledger, new InMemoryServerInventory());
        store = new WriteThroughAllocations(ledger, new InMemoryAllocationStore());
        survey = new DiskSurvey(ledger, meter, clock, 100);
        PoolQueries queries = new PoolQueries(ledger, clock);
        ServerAdministration servers = new ServerAdministration(ledger, inventory, lock, clock);
        admission = new CapacityAdmission(ledger, store, lock, clock, () -> "a" + ids.incrementAndGet());
        volumes = new InMemoryVolumes().withTemplate(new Template("ubuntu22", VolumeFormat.QCOW2, 10_000_000_000L, 200_000L));
        VmService vmService = new VmService(catalog, "vm", ServerType.HETZNER, admission, store, vms, volumes, volumes, clock,
                () -> Long.toHexString(ids.incrementAndGet()));
        services = new ApiServices(queries, servers, vmService, new VolumeService(catalog, admission, store, volumes),
                new TemplateService(volumes, store, lock),
                new CleanupService(inventory, store, (server, refs, dry) -> java.util.List.of(), clock), () -> true);
        api = new PoolApi(services);
        api.serveDrains(new dsp.core.usecase.ServerDrain(catalog, inventory, store, vms, admission, volumes, java.util.Optional.empty(),
                volumes, new dsp.core.usecase.OperationOrder(), () -> "m" + ids.incrementAndGet()));
        configure.accept(api);
        api.start("127.0.0.1", 0);
    }

    int port() {
        return api.port();
    }

    Reply get(String path) {
        return send(HttpRequest.newBuilder(uri(path)).GET());
    }

    Reply put(String path, String body) {
        return send(HttpRequest.newBuilder(uri(path)).header("Content-Type", "application/json")
                .PUT(HttpRequest.BodyPublishers.ofString(body)));
    }

    Reply post(String path, String body) {
        return send(HttpRequest.newBuilder(uri(path)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)));
    }

    Reply delete(String path) {
        return send(HttpRequest.newBuilder(uri(path)).DELETE());
    }

    Reply send(String method, String path, String body) {
        return send(HttpRequest.newBuilder(uri(path)).header("Content-Type", "application/json")
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body)));
    }

    private URI uri(String path) {
        return URI.create("http://127.0.0.1:" + api.port() + path);
    }

    private Reply send(HttpRequest.Builder b) {
        try {
            HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
            return new Reply(r.statusCode(), r.body(), r.headers().firstValue("Content-Type").orElse(""));
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    /** Accepts exactly these bearer tokens, each as its caller. */
    static dsp.core.port.Authenticator callers(java.util.Map<String, dsp.core.port.Caller> byToken) {
        return new dsp.core.port.Authenticator() {
            @Override
            public java.util.Optional<String> principal(String token) {
                return caller(token).map(dsp.core.port.Caller::name);
            }

            @Override
            public java.util.Optional<dsp.core.port.Caller> caller(String token) {
                return java.util.Optional.ofNullable(byToken.get(token));
            }
        };
    }

    /** The operation once it has ended (succeeded or failed), as {@code GET /api/v1/operations/{id}} shows it. */
    JsonNode finishedOperation(String id) {
        return org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(30))
                .until(() -> get("/api/v1/operations/" + id).json(), op -> !op.get("state").asText().equals("running"));
    }

    @Override
    public void close() {
        api.stop();
    }
}
