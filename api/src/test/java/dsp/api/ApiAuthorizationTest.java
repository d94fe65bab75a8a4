package dsp.api;

import static org.assertj.core.api.Assertions.assertThat;

import dsp.core.model.Server;
import dsp.core.port.Authenticator;
import dsp.core.port.Authorizer;
import dsp.core.port.Authorizer.Access;
import dsp.core.port.Caller;
import io.javalin.http.HandlerType;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A change needs an identity (401 without) and that identity's consent for exactly that change
 * (403 without, nothing changed): the authorizer is asked about the change in the system's
 * words, with the namespace a VM lives in and the object's name.
 */
class ApiAuthorizationTest {

    /** alice may create VMs in team-a and relabel k8s-1; nothing else. */
    private static final Authenticator TOKENS = ApiHarness.callers(Map.of("alice-token", new Caller("alice", Set.of("team-a-members"))));

    private final List<Access> asked = new CopyOnWriteArrayList<>();
    private final Authorizer policy = (caller, access) -> {
        asked.add(access);
        boolean allowed = caller.groups().contains("team-a-members") && (
                access.equals(Access.of("create", "vms").in("team-a").named("web"))
                        || access.equals(Access.of("delete", "vms").in("team-a").named("web"))
                        || access.equals(Access.of("update", "servers").named("k8s-1")));
        return allowed ? Optional.empty() : Optional.of(caller.name() + " may not " + access.verb() + " " + access.resource());
    };
    private final HttpClient http = HttpClient.newHttpClient();
    private ApiHarness h;

    @AfterEach
    void stop() {
        if (h != null) {
            h.close();
        }
    }

    private HttpResponse<String> send(String method, String path, String body, String token) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + h.port() + path)).header("Content-Type", "application/json")
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void everyRouteThatChangesSomethingSaysWhatItChanges() {
        h = new ApiHarness();
        List<String> uncovered = h.api.routes().stream().filter(RouteTable.Route::changes).filter(r -> !ChangeAccess.covers(r))
                .map(r -> r.method() + " " + r.path()).toList();
        assertThat(uncovered).as("change routes without a ChangeAccess rule").isEmpty();
    }

    @Test
    void theCallersOwnRightsDecideEachChange() throws Exception {
        h = new ApiHarness(api -> {
            api.requireAuthentication(Optional.of(TOKENS));
            api.authorizeWith(policy);
            api.addRoute(HandlerType.POST, "/api/v1/unruled", ctx -> ctx.status(204));
        });
        for (String n : List.of("k8s-1", "k8s-2", "vm-1")) {
            h.inventory.saveServer(new Server(n, Optional.of(n.startsWith("vm") ? "vm" : "k8s"), Optional.empty(), Instant.EPOCH));
        }
        String vm = "{\"name\": \"web\", \"image\": \"ubuntu22\", \"server_type\": \"cx21\", \"namespace\": \"%s\"}";

        assertThat(send("POST", "/api/v1/vms", vm.formatted("team-a"), null).statusCode()).isEqualTo(401);
        assertThat(asked).as("no identity, no question").isEmpty();

        HttpResponse<String> elsewhere = send("POST", "/api/v1/vms", vm.formatted("team-b"), "alice-token");
        assertThat(elsewhere.statusCode()).as(elsewhere.body()).isEqualTo(403);
        assertThat(elsewhere.body()).contains("\"code\":\"forbidden\"").contains("alice may not create vms");
        assertThat(asked).containsExactly(Access.of("create", "vms").in("team-b").named("web"));
        assertThat(h.vms.listVms()).isEmpty();

        HttpResponse<String> created = send("POST", "/api/v1/vms", vm.formatted("team-a"), "alice-token");
        assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
        String id = dsp.json.Json.MAPPER.readTree(created.body()).get("id").asText();

        assertThat(send("POST", "/api/v1/vms/" + id + "/resize", "{\"new_size_gb\": 100}", "alice-token").statusCode()).isEqualTo(403);
        assertThat(asked).last().isEqualTo(Access.of("update", "vms").in("team-a").named("web"));
        assertThat(send("DELETE", "/api/v1/vms/" + id, null, "alice-token").statusCode()).isEqualTo(200);

        assertThat(send("PUT", "/api/v1/servers/k8s-1", "{\"pool\": \"vm\"}", "alice-token").statusCode()).isEqualTo(200);
        assertThat(send("PUT", "/api/v1/servers/k8s-2", "{\"pool\": \"vm\"}", "alice-token").statusCode()).isEqualTo(403);
        assertThat(h.inventory.findServer("k8s-2").orElseThrow().pool()).contains("k8s");

        assertThat(send("POST", "/api/v1/cleanup", "{}", "alice-token").statusCode()).isEqualTo(403);
        assertThat(asked).last().isEqualTo(Access.of("create", "cleanups"));

        // a change nobody wrote a rule for is refused, whoever asks
        HttpResponse<String> unruled = send("POST", "/api/v1/unruled", "{}", "alice-token");
        assertThat(unruled.statusCode()).isEqualTo(403);
        assertThat(unruled.body()).contains("no rule says who may make this change");

        // reads stay open
        assertThat(send("GET", "/api/v1/pools/status", null, null).statusCode()).isEqualTo(200);
    }
}
