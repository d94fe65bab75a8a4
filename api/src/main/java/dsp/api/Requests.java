package dsp.api;

import dsp.json.Json;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import dsp.core.DomainException;
import dsp.core.model.Quantity;
import io.javalin.http.Context;
import java.util.Iterator;
import java.util.Optional;
import java.util.Set;

/** Reading request bodies strictly: malformed JSON, unknown fields and wrong types are 400s. */
public final class Requests {

    private Requests() {
    }

    public static JsonNode object(Context ctx, Set<String> allowedFields) {
        String body = ctx.body();
        if (body == null || body.isBlank()) {
            throw DomainException.invalid("request body is empty; expected a JSON object");
        }
        JsonNode node;
        try {
            node = Json.MAPPER.readTree(body);
        } catch (JsonProcessingException e) {
            throw DomainException.invalid("request body is not valid JSON: " + e.getOriginalMessage());
        }
        if (node == null || !node.isObject()) {
            throw DomainException.invalid("request body must be a JSON object");
        }
        for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
            String f = it.next();
            if (!allowedFields.contains(f)) {
                throw DomainException.invalid("unknown field '" + f + "'; allowed fields are " + allowedFields.stream().sorted().toList());
            }
        }
        return node;
    }

    /** A text field that may be null or absent. */
    public static Optional<String> optionalText(JsonNode body, String field) {
        JsonNode n = body.get(field);
        if (n == null || n.isNull()) {
            return Optional.empty();
        }
        if (!n.isTextual()) {
            throw DomainException.invalid("field '" + field + "' must be a string");
        }
        return Optional.of(n.asText());
    }

    public static String requiredText(JsonNode body, String field) {
        return optionalText(body, field).orElseThrow(() -> DomainException.invalid("field '" + field + "' is required"));
    }

    /** A whole number that may be null or absent. */
    public static Optional<Integer> optionalInt(JsonNode body, String field) {
        JsonNode n = body.get(field);
        if (n == null || n.isNull()) {
            return Optional.empty();
        }
        if (!n.isIntegralNumber() || !n.canConvertToInt()) {
            throw DomainException.invalid("field '" + field + "' must be a whole number");
        }
        return Optional.of(n.asInt());
    }

    /**
     * A size given either as a number of decimal GB ({@code 50}) or as a quantity string
     * ({@code "1.5T"}, {@code "100Gi"}).
     */
    public static Optional<Long> optionalSize(JsonNode body, String field) {
        JsonNode n = body.get(field);
        if (n == null || n.isNull()) {
            return Optional.empty();
        }
        long bytes;
        if (n.isNumber()) {
            bytes = Quantity.fromGb(n.asDouble());
        } else if (n.isTextual()) {
            bytes = Quantity.parseGbOrQuantity(n.asText());
        } else {
            throw DomainException.invalid("field '" + field + "' must be a number of GB or a quantity such as \"1.5T\"");
        }
        if (bytes <= 0) {
            throw DomainException.invalid("field '" + field + "' must be positive");
        }
        return Optional.of(bytes);
    }
}
