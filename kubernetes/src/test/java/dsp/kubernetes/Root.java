package dsp.kubernetes;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** Tests of file ownership need root (CI runs as root: there a missing root is a failure, not a skip). */
public final class Root {

    private Root() {
    }

    public static void require() {
        boolean root = "root".equals(System.getProperty("user.name"));
        if (!root && "true".equals(System.getenv("CI"))) {
            throw new AssertionError("CI runs as root; this test changes file owners and runs commands as other users");
        }
        if (!root) {
            System.out.println("skipped: needs root (run the tests as root, as CI does)");
        }
        assumeTrue(root, "needs root");
    }
}
