package dsp.api;

import static org.assertj.core.api.Assertions.assertThat;

import dsp.core.model.Server;
import dsp.core.port.Authenticator;
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
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Each change asks the authorizer about exactly itself: the verb, the resource, a VM's namespace
 * and the object's name. Here the caller may create VMs and nothing else: every other change is
 * refused (403) after asking about the right access, and changes nothing.
 */
class ChangeAccessTest {

    private static final String TOKEN = "bob-token";
    private static final Authenticator BOB = ApiHarness.callers(Map.of(TOKEN, new Caller("bob", Set.of())));

    private final List<Access> asked = new CopyOnWriteArrayList<>();
    private final HttpClient http = HttpClient.newHttpClient();
    private ApiHarness h;

    @BeforeEach
    void start() {
        h = new ApiHarness(api -> {
            api.requireAuthentication(Optional.of(BOB));
            api.authorizeWith((caller, access) -> {
                asked.add(access);
                return access.verb().equals("create") && access.resource().equals("vms") ? Optional.empty()
                        : Optional.of(caller.name() + " may not " + access.verb() + " " + access.resource());
            });
        });
        for (String n : List.of("vm-1", "vm-2")) {
            h.inventory.saveServer(new Server(n, Optional.of("vm"), Optional.empty(), Instant.EPOCH));
        }
    }

    @AfterEach
    void stop() {
        h.close();
    }

    private HttpResponse<String> send(String method, String path, String body) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + h.port() + path)).header("Content-Type", "application/json")
                .header("Authorization", "Bearer " + TOKEN)
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private List<Object> state() {
        return List.of(h.inventory.listServers(), h.store.listAllocations(), h.vms.listVms(), h.volumes.listTemplates());
    }

    private void assertRefusedAfterAsking(String method, String path, String body, Access expected) throws Exception {
        List<Object> before = state();
        HttpResponse<String> r = send(method, path, body);
        assertThat(r.statusCode()).as(method + " " + path + ": " + r.body()).isEqualTo(403);
        assertThat(r.body()).contains("bob may not " + expected.verb() + " " + expected.resource());
        assertThat(asked).as(method + " " + path).last().isEqualTo(expected);
        assertThat(state()).isEqualTo(before);
    }

    @Test
    void everyChangeAsksAboutItselfAndARefusalChangesNothing() throws Exception {
        HttpResponse<String> created = send("POST", "/api/v1/vms",
                "{\"name\": \"web\", \"image\": \"ubuntu22\", \"server_type\": \"cx21\", \"namespace\": \"team-a\"}");
        assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
        assertThat(asked).containsExactly(Access.of("create", "vms").in("team-a").named("web"));
        String vm = dsp.json.Json.MAPPER.readTree(created.body()).get("id").asText();
        String disk = dsp.json.Json.MAPPER.readTree(created.body()).get("disk_id").asText();
        assertThat(send("POST", "/api/v1/vms", "{\"name\": \"db\", \"image\": \"ubuntu22\", \"server_type\": \"cx21\"}").statusCode()).isEqualTo(201);
        assertThat(asked).last().isEqualTo(Access.of("create", "vms").in("default").named("db"));

        assertRefusedAfterAsking("PUT", "/api/v1/servers/vm-1", "{\"pool\": \"k8s\"}", Access.of("update", "servers").named("vm-1"));
        assertRefusedAfterAsking("DELETE", "/api/v1/servers/vm-2", null, Access.of("delete", "servers").named("vm-2"));
        assertRefusedAfterAsking("POST", "/api/v1/servers/vm-2/drain", "{}", Access.of("update", "servers").named("vm-2"));
        assertRefusedAfterAsking("POST", "/api/v1/vms/" + vm + "/resize", "{\"new_size_gb\": 100}",
                Access.of("update", "vms").in("team-a").named("web"));
        assertRefusedAfterAsking("DELETE", "/api/v1/vms/" + vm, null, Access.of("delete", "vms").in("team-a").named("web"));
        // a VM that does not exist is asked about cluster-wide: the answer gives no hint whether it exists
        assertRefusedAfterAsking("DELETE", "/api/v1/vms/ghost", null, Access.of("delete", "vms"));
        assertRefusedAfterAsking("POST", "/api/v1/volumes", "{\"name\": \"data\", \"pool\": \"vm\", \"size\": 10}",
                Access.of("create", "volumes").named("data"));
        // a body the route will refuse anyway names nothing
        assertRefusedAfterAsking("POST", "/api/v1/volumes", "{\"name\": ", Access.of("create", "volumes"));
        assertRefusedAfterAsking("DELETE", "/api/v1/volumes/" + disk, null, Access.of("delete", "volumes").named(disk));
        assertRefusedAfterAsking("POST", "/api/v1/cleanup", "{}", Access.of("create", "cleanups"));
        assertRefusedAfterAsking("POST", "/api/v1/templates", "{\"name\": \"debian12\", \"source\": \"debian12.qcow2\"}",
                Access.of("create", "templates").named("debian12"));
        assertRefusedAfterAsking("POST", "/api/v1/templates/ubuntu22/optimize", "{}", Access.of("update", "templates").named("ubuntu22"));
        assertRefusedAfterAsking("DELETE", "/api/v1/templates/ubuntu22", null, Access.of("delete", "templates").named("ubuntu22"));
        assertRefusedAfterAsking("POST", "/api/v1/backup", "{}", Access.of("create", "backups"));
        assertRefusedAfterAsking("POST", "/api/v1/restore", null, Access.of("create", "restores"));
        assertRefusedAfterAsking("DELETE", "/api/v1/backups/b1", null, Access.of("delete", "backups").named("b1"));
    }

    @Test
    void onlyRoutesWithARuleAreCovered() {
        assertThat(ChangeAccess.covers(new RouteTable.Route(HandlerType.PUT, "/api/v1/servers/{name}", ctx -> { }))).isTrue();
        assertThat(ChangeAccess.covers(new RouteTable.Route(HandlerType.POST, "/api/v1/servers/{name}", ctx -> { }))).isFalse();
        assertThat(ChangeAccess.covers(new RouteTable.Route(HandlerType.POST, "/api/v1/unruled", ctx -> { }))).isFalse();
    }
}
