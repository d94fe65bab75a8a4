package dsp.cli.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import org.junit.jupiter.api.Test;

/** The client's trees are ObjectMapper's: read the same, printed the same. */
class JsonTreesTest {

    private static final ObjectMapper MAPPER = new ObjectMapper();
    /** The shapes of the API's answers: nested objects and arrays, ints, longs, big integers, fractions, booleans, nulls, escapes. */
    private static final String ANSWER = """
            {"k8s_pool": {"servers": 3, "total_capacity_gb": 4500, "usage_percentage": 26.67, "health": "healthy",
              "measured_at": "2026-11-26T05:40:00Z", "bytes": 9007199254740993, "huge": 123456789012345678901234567890,
              "tiny": 1.0E-7, "negative": -2, "zero": 0.0, "ok": true, "stranded": false, "note": null,
              "warnings": ["vm_pool: 1 stranded volume", "quote \\" and \\u00e9"], "empty": {}, "none": []},
             "servers": [{"name": "k8s-1", "labels": {"pool": "k8s"}}, {"name": "vm-1", "labels": {}}]}""";

    @Test
    void readsTheTreeObjectMapperReads() throws IOException {
        JsonNode ours = JsonTrees.parse(ANSWER);
        JsonNode theirs = MAPPER.readTree(ANSWER);
        assertThat(ours).isEqualTo(theirs);
        assertThat(ours.at("/k8s_pool/bytes").isLong()).isTrue();
        assertThat(ours.at("/k8s_pool/huge").isBigInteger()).isTrue();
        assertThat(ours.at("/k8s_pool/usage_percentage").isDouble()).isTrue();
        assertThat(JsonTrees.parse("[1, \"a\"]")).isEqualTo(MAPPER.readTree("[1, \"a\"]"));
        assertThat(JsonTrees.parse("\"text\"")).isEqualTo(MAPPER.readTree("\"text\""));
    }

    @Test
    void printsAsObjectMappersDefaultPrettyPrinter() throws IOException {
        JsonNode tree = MAPPER.readTree(ANSWER);
        assertThat(JsonTrees.pretty(tree)).isEqualTo(MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(tree));
        JsonNode made = JsonTrees.nodes().objectNode().put("name", "v").put("size", 1.5).put("count", 2L)
                .put("exact", new java.math.BigDecimal("0.10"));
        assertThat(JsonTrees.pretty(made)).isEqualTo(MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(made));
    }

    @Test
    void whatIsNotJsonIsAnIoError() {
        assertThatThrownBy(() -> JsonTrees.parse("<html>502 Bad Gateway</html>")).isInstanceOf(IOException.class);
        assertThatThrownBy(() -> JsonTrees.parse("{\"a\": ")).isInstanceOf(IOException.class);
        assertThatThrownBy(() -> JsonTrees.parse("")).isInstanceOf(IOException.class);
    }
}
