package dsp.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;

/**
 * Least privilege, the other way round: every test runs each role with its own ServiceAccount on
 * the strict cluster (a missing permission is a 403 there). The check that deploy/10-rbac.yaml
 * grants nothing unneeded spans two modules, as the roles' scenarios do: this module's (adapters,
 * controllers, agents) and cli's (the HTTP API composed on top). This test, run last here, leaves
 * what this module's run needed in {@link #USED}; cli's LeastPrivilegeTest, run last there, fails
 * on a permission neither run needed.
 */
@Order(Integer.MAX_VALUE)
public class LeastPrivilegeTest {

    /** Relative to the kubernetes module (surefire's working directory). */
    public static final Path USED = Path.of("target", "rbac-used-by-kubernetes-tests.txt");

    @Test
    void recordsWhatThisModulesScenariosNeeded() throws Exception {
        Files.deleteIfExists(USED);
        TestCluster.writeUsedInThisRun(USED);
        // the module's scenarios ran (the whole module, as make test runs it): most grants are already needed here
        assertThat(Files.readAllLines(USED)).hasSizeGreaterThan(TestCluster.deployedPermissions().size() / 2);
    }
}
