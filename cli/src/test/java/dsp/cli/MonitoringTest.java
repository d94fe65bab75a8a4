package dsp.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import dsp.cli.standalone.StandaloneServer;
import dsp.config.PoolConfig;
import dsp.testing.RequiredTool;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * deploy/monitoring: every metric the alert rules and the Grafana dashboard name is one a real
 * running server exports, and the rules behave as intended under the real promtool.
 */
class MonitoringTest {

    static final Path MONITORING = Path.of("..", "deploy", "monitoring");
    private static final Pattern METRIC = Pattern.compile("(?<![\\w:])(dsp_[a-z0-9_]+)");
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory()
            .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER).enable(YAMLGenerator.Feature.MINIMIZE_QUOTES));
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;

    @Test
    void everyMetricTheRulesAndTheDashboardUseIsExportedByARunningServer() throws Exception {
        Set<String> used = new TreeSet<>();
        for (JsonNode rule : rules().findValues("expr")) {
            used.addAll(metricsIn(rule.asText()));
        }
        int rulesUse = used.size();
        for (JsonNode expr : JSON.readTree(MONITORING.resolve("grafana-dashboard.json").toFile()).findValues("expr")) {
            used.addAll(metricsIn(expr.asText()));
        }
        assertThat(rulesUse).as("the rules name metrics").isGreaterThan(5);
        assertThat(used).contains("dsp_volume_measured_bytes", "dsp_claim_provision_duration_seconds_bucket",
                "dsp_server_last_report_age_seconds", "dsp_template_missing_servers");

        Set<String> exported = scrapeAfterUse();
        assertThat(exported).as("metric names exported by a running standalone server").containsAll(used);
    }

    @Test
    void promtoolChecksTheRulesAndTheirUnitTestsPass() throws Exception {
        String promtool = RequiredTool.PROMTOOL.require().toString();
        Path rules = tmp.resolve("dynamic-storage-pools.rules.yaml");
        YAML.writeValue(rules.toFile(), JSON.createObjectNode().set("groups", rules().path("spec").path("groups")));
        Tools.Result check = Tools.run(tmp, promtool, "check", "rules", rules.toString());
        assertThat(check.code()).as(check.output()).isZero();
        assertThat(check.output()).contains("SUCCESS");

        Path tests = tmp.resolve("alerts.test.yaml");
        YAML.writeValue(tests.toFile(), withExpectedAnnotations(YAML.readTree(MONITORING.resolve("tests/alerts.test.yaml").toFile())));
        Tools.Result test = Tools.run(tmp, promtool, "test", "rules", tests.toString());
        assertThat(test.code()).as(test.output()).isZero();
        assertThat(test.output()).contains("SUCCESS");
    }

    static JsonNode rules() throws IOException {
        JsonNode rule = YAML.readTree(MONITORING.resolve("prometheus-rule.yaml").toFile());
        assertThat(rule.path("kind").asText()).isEqualTo("PrometheusRule");
        return rule;
    }

    static Set<String> metricsIn(String promql) {
        Set<String> out = new TreeSet<>();
        Matcher m = METRIC.matcher(promql);
        while (m.find()) {
            out.add(m.group(1));
        }
        return out;
    }

    /**
     * promtool compares annotations too: each expected alert gets its rule's annotations with
     * {@code {{ $labels.x }}} filled from the expected labels, so a broken template fails here.
     */
    private static JsonNode withExpectedAnnotations(JsonNode tests) throws IOException {
        Map<String, JsonNode> annotations = new HashMap<>();
        for (JsonNode group : rules().path("spec").path("groups")) {
            for (JsonNode r : group.path("rules")) {
                if (r.has("alert")) {
                    annotations.put(r.get("alert").asText(), r.path("annotations"));
                }
            }
        }
        for (JsonNode test : tests.path("tests")) {
            for (JsonNode case_ : test.path("alert_rule_test")) {
                JsonNode template = annotations.get(case_.path("alertname").asText());
                assertThat(template).as("alert %s is defined", case_.path("alertname").asText()).isNotNull();
                for (JsonNode alert : case_.path("exp_alerts")) {
                    ObjectNode expected = ((ObjectNode) alert).putObject("exp_annotations");
                    template.fields().forEachRemaining(a -> expected.put(a.getKey(),
                            fill(a.getValue().asText(), alert.path("exp_labels"))));
                }
            }
        }
        return tests;
    }

    private static String fill(String template, JsonNode labels) {
        Matcher m = Pattern.compile("\\{\\{ \\$labels\\.(\\w+) \\}\\}").matcher(template);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            m.appendReplacement(out, Matcher.quoteReplacement(labels.path(m.group(1)).asText()));
        }
        return m.appendTail(out).toString();
    }

    /** A demo server with a VM, a volume, a refused request and a cleanup behind it; the names on its /metrics. */
    private Set<String> scrapeAfterUse() {
        RequiredTool.QEMU_IMG.require();
        try (StandaloneServer server = new StandaloneServer(PoolConfig.Configuration.guideDefaults(), tmp.resolve("data"),
                Clock.systemUTC(), true).surveyEvery(Duration.ofSeconds(1))) {
            server.seedDemoIfEmpty();
            server.ensureDemoTemplate();
            Http http = new Http("http://127.0.0.1:" + server.start("127.0.0.1", 0));
            String web = "{\"name\": \"web\", \"image\": \"ubuntu22\", \"server_type\": \"cx21\", \"storage\": 50}";
            Http.Reply vm = http.post("/api/v1/vms", web);
            assertThat(vm.status()).as(vm.body()).isEqualTo(201);
            assertThat(http.post("/api/v1/volumes", "{\"name\": \"data\", \"pool\": \"k8s\", \"size\": \"10Gi\"}").status()).isEqualTo(201);
            assertThat(http.post("/api/v1/vms", web).status()).as("the same name twice").isEqualTo(409);
            assertThat(http.post("/api/v1/cleanup", "{}").status()).isEqualTo(200);
            // disks are measured in the background: the VM's own bytes show once its server was measured again
            Http.Reply metrics = await().atMost(Duration.ofSeconds(20)).until(() -> http.get("/metrics"),
                    m -> m.body().contains("dsp_volume_measured_bytes{kind=\"vm-disk\""));
            assertThat(metrics.status()).isEqualTo(200);
            Set<String> names = new TreeSet<>();
            metrics.body().lines().filter(l -> !l.startsWith("#") && !l.isBlank())
                    .forEach(l -> names.add(l.split("[{ ]", 2)[0]));
            assertThat(metrics.body()).contains("dsp_volume_requested_bytes{kind=\"vm-disk\"")
                    .containsPattern("dsp_volume_requested_bytes\\{[^}]*namespace=\"default\"[^}]*vm=\"web\"")
                    .contains("dsp_operation_errors_total{kind=\"conflict\",operation=\"vm_create\"}");
            return names;
        }
    }
}
