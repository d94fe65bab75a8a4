package dsp.cli.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dsp.kubernetes.RunningRoles;
import dsp.kubernetes.TestCluster;
import dsp.kubernetes.controller.ControllerRuntime;
import dsp.kubernetes.strict.RbacAuthorizer.Grant;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;

/**
 * Least privilege, the other way round, over both modules whose tests run the roles on the strict
 * cluster: this one (the HTTP API composed on the controller, the daemons as deploy/ runs them) and
 * the kubernetes module, whose run left what it needed in its target directory (make test runs it
 * first). Run last, this test fails when deploy/10-rbac.yaml grants a permission (role, verb, group,
 * resource, name) that no request of either run needed.
 */
@Order(Integer.MAX_VALUE)
class LeastPrivilegeTest {

    private static final Path KUBERNETES_RUN = Path.of("..", "kubernetes").resolve(dsp.kubernetes.LeastPrivilegeTest.USED);

    /** dynamic-pool-monitor's own scenario: the read-only API over Nodes, PoolVolumes and VMs. */
    private void monitorServesTheReadOnlyApi() throws Exception {
        try (TestCluster cluster = new TestCluster()) {
            cluster.addNode("k8s-1", "k8s");
            try (RunningRoles monitor = ComposedRoles.start(cluster, Set.of(ControllerRuntime.Role.MONITOR), RunningRoles.FAST)) {
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
        assertThat(KUBERNETES_RUN).as("the kubernetes module's tests leave what they needed here: run them first "
                + "(make test, or mvn -pl cli -am verify)").exists();
        Set<Grant> unused = TestCluster.unusedInThisRunAnd(KUBERNETES_RUN);
        assertThat(unused).as("deploy/10-rbac.yaml grants what no role's scenario used (this module's and the kubernetes module's, "
                + "each run whole):\n  " + unused.stream().map(Grant::toString).collect(Collectors.joining("\n  "))).isEmpty();
    }
}
