package dsp.api;

import java.util.LinkedHashMap;
import java.util.Map;

/** The one error shape: {@code {"error": {"code": "...", "message": "..."}}}. */
public final class ApiError {

    private ApiError() {
    }

    public static Map<String, Object> body(String code, String message) {
        Map<String, Object> inner = new LinkedHashMap<>();
        inner.put("code", code);
        inner.put("message", message);
        return Map.of("error", inner);
    }
}
