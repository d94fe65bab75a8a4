package dsp.kubernetes;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.node.ArrayNode;
import dsp.json.Json;
import java.util.Arrays;
import java.util.stream.Collectors;

/** An RFC 6902 JSON patch built with Jackson: values and paths are escaped by construction, never concatenated. */
public final class JsonPatch {

    private final ArrayNode ops = Json.MAPPER.createArrayNode();

    /** The JSON pointer to these keys, each escaped ({@code ~} as {@code ~0}, {@code /} as {@code ~1}). */
    public static String pointer(String... keys) {
        return Arrays.stream(keys).map(k -> "/" + k.replace("~", "~0").replace("/", "~1")).collect(Collectors.joining());
    }

    /** The patch applies only while the value at the path is this one (else the API server answers 422). */
    public JsonPatch test(String path, String value) {
        ops.addObject().put("op", "test").put("path", path).put("value", value);
        return this;
    }

    public JsonPatch remove(String path) {
        ops.addObject().put("op", "remove").put("path", path);
        return this;
    }

    /** The patch as the API server reads it. */
    public String json() {
        try {
            return Json.MAPPER.writeValueAsString(ops);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
