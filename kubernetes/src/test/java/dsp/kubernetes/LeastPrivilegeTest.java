package dsp.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dsp.kubernetes.controller.ControllerRuntime;
import dsp.kubernetes.strict.RbacAuthorizer.Grant;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;

/**
 * Least privilege, the other way round: every test of this module runs each role with its own
 * ServiceAccount on the strict cluster (a missing permission is a 403 there), and this test, run
 * last, fails when deploy/10-rbac.yaml grants a permission (role, verb, group, resource, name)
 * that no request of the whole run needed.
 */
@Order(Integer.MAX_VALUE)
class LeastPrivilegeTest {

    /** dynamic-pool-monitor's own scenario: the read-only API over Nodes, PoolVolumes and VMs. */
    private void monitorServesTheReadOnlyApi() throws Exception {
        try (TestCluster cluster = new TestCluster()) {
            cluster.addNode("k8s-1", "k8s");
            try (RunningRoles monitor = RunningRoles.start(cluster, Set.of(ControllerRuntime.Role.MONITOR), ScalingControllerTest.FAST)) {
                HttpClient http = HttpClient.newHttpClient();
                await().atMost(Duration.ofSeconds(20)).until(() -> http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
                        + monitor.apiPort() + "/api/v1/pools/status")).build(), HttpResponse.BodyHandlers.ofString()).body().contains("\"servers\":1"));
                HttpResponse<String> vms = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + monitor.apiPort() + "/api/v1/vms"))
                        .build(), HttpResponse.BodyHandlers.ofString());
                assertThat(vms.statusCode()).as(vms.body()).isEqualTo(200);
            }
        }
    }

    @Test
    void everyPermissionInDeployIsUsedByTheRolesScenarios() throws Exception {
        monitorServesTheReadOnlyApi();
        Set<Grant> unused = TestCluster.unusedInThisRun();
        assertThat(unused).as("deploy/10-rbac.yaml grants what no role's scenario used (run the whole kubernetes module):\n  "
                + unused.stream().map(Grant::toString).collect(Collectors.joining("\n  "))).isEmpty();
    }
}
