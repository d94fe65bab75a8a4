package dsp.kubernetes;

import io.fabric8.mockwebserver.http.RecordedRequest;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** The requests the test API server has received, for checking the exact request against the real server's rule. */
final class RecordedRequests {

    private RecordedRequests() {
    }

    /** Every request received so far that no one took yet (the server keeps them in order). */
    static List<RecordedRequest> drain(TestCluster cluster) throws InterruptedException {
        List<RecordedRequest> out = new ArrayList<>();
        for (RecordedRequest r = cluster.server.takeRequest(0, TimeUnit.MILLISECONDS); r != null;
             r = cluster.server.takeRequest(0, TimeUnit.MILLISECONDS)) {
            out.add(r);
        }
        return out;
    }
}
