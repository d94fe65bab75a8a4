package dsp.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * {@link PoolMetrics} keeps the meters of each label set instead of looking them up per request: requests
 * that hit kept meters again must still add up under their own labels (PoolMetricsTest has the rest).
 */
class RequestMetersTest {

    private final PoolMetrics metrics = new PoolMetrics(Clock.fixed(Instant.parse("2026-11-26T12:00:00Z"), ZoneOffset.UTC));

    @Test
    void eachRequestCountsUnderItsOwnMethodRouteAndStatus() {
        for (int i = 0; i < 3; i++) {
            metrics.recordRequest("POST", "/api/v1/volumes", 201, Duration.ofMillis(4), false);
        }
        metrics.recordRequest("POST", "/api/v1/volumes", 409, Duration.ofMillis(2), false);
        metrics.recordRequest("GET", "/api/v1/volumes", 200, Duration.ofMillis(1), false);
        metrics.recordRequest("GET", "/api/v1/pools/status", 200, Duration.ofMillis(1), false);
        metrics.recordRequest("PUT", "/api/v1/servers/{name}", 200, Duration.ofMillis(3), false);
        metrics.recordRequest("PUT", "/api/v1/servers/{name}", 200, Duration.ofMillis(3), false);

        String scrape = metrics.scrape();
        assertThat(value(scrape, "dsp_http_requests_seconds_count", "method=\"POST\",route=\"/api/v1/volumes\",status=\"201\"")).isEqualTo(3);
        assertThat(value(scrape, "dsp_http_requests_seconds_count", "method=\"POST\",route=\"/api/v1/volumes\",status=\"409\"")).isEqualTo(1);
        assertThat(value(scrape, "dsp_http_requests_seconds_count", "method=\"GET\",route=\"/api/v1/volumes\",status=\"200\"")).isEqualTo(1);
        assertThat(value(scrape, "dsp_http_requests_seconds_count", "method=\"GET\",route=\"/api/v1/pools/status\",status=\"200\"")).isEqualTo(1);
        assertThat(value(scrape, "dsp_http_requests_seconds_count", "method=\"PUT\",route=\"/api/v1/servers/{name}\",status=\"200\"")).isEqualTo(2);
        assertThat(value(scrape, "dsp_http_requests_seconds_sum", "method=\"POST\",route=\"/api/v1/volumes\",status=\"201\"")).isEqualTo(0.012);

        assertThat(value(scrape, "dsp_operations_total", "operation=\"volume_create\",outcome=\"success\"")).isEqualTo(3);
        assertThat(value(scrape, "dsp_operations_total", "operation=\"volume_create\",outcome=\"error\"")).isEqualTo(1);
        assertThat(value(scrape, "dsp_operation_errors_total", "kind=\"conflict\",operation=\"volume_create\"")).isEqualTo(1);
        assertThat(value(scrape, "dsp_operations_total", "operation=\"server_assign\",outcome=\"success\"")).isEqualTo(2);
        assertThat(scrape).doesNotContain("operation=\"volume_list\"").doesNotContain("outcome=\"success\",operation=\"server_assign\"");
    }

    /** The sample of {@code name} whose labels are exactly {@code labels} (Prometheus text, labels sorted). */
    private static double value(String scrape, String name, String labels) {
        Matcher m = Pattern.compile("(?m)^" + Pattern.quote(name + (labels.isEmpty() ? "" : "{" + labels + "}")) + " (\\S+)$").matcher(scrape);
        assertThat(m.find()).as("%s{%s} in%n%s", name, labels, scrape).isTrue();
        return Double.parseDouble(m.group(1));
    }
}
