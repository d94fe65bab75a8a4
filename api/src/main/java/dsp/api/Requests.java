package dsp.api;

import dsp.json.Json;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.exc.InputCoercionException;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import dsp.api.body.Size;
import dsp.core.DomainException;
import io.javalin.http.Context;
import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.regex.Pattern;
import java.util.List;
import java.util.Optional;

/**
 * Reads a request body into its record, strictly: malformed JSON, duplicate or unknown fields,
 * wrong types and anything after the object are 400s whose message names the field and what it
 * must be, never a Java type.
 */
public final class Requests {

    /** JSON bodies here are a few hundred bytes; anything near this is not a request of ours. */
    public static final int MAX_BODY_BYTES = 64 * 1024;

    private static final PropertyNamingStrategies.NamingBase SNAKE = (PropertyNamingStrategies.NamingBase) PropertyNamingStrategies.SNAKE_CASE;

    private Requests() {
    }

    /** The body as {@code type}; refuses (400, 413) anything that is not exactly such an object. */
    public static <T extends Record> T read(Context ctx, Class<T> type) {
        return parse(bytes(ctx), type);
    }

    static <T extends Record> T parse(byte[] body, Class<T> type) {
        if (new String(body, StandardCharsets.UTF_8).isBlank()) {
            throw DomainException.invalid("request body is empty; expected a JSON object");
        }
        try {
            return requireNonNullRequired(Json.MAPPER.readValue(body, type));
        } catch (JsonProcessingException e) {
            throw translate(e, type);
        } catch (IOException e) {
            throw DomainException.invalid("request body could not be read");
        }
    }

    /** {@code "field": null} is not a value: a required field sent as null is as missing as one left out. */
    private static <T extends Record> T requireNonNullRequired(T body) {
        for (RequiredField field : REQUIRED.get(body.getClass())) {
            Object value;
            try {
                value = field.accessor().invoke(body);
            } catch (ReflectiveOperationException e) {
                throw new IllegalStateException("cannot read " + field.name(), e);
            }
            if (value == null) {
                throw DomainException.invalid("field '" + field.name() + "' is required and may not be null" + field.description());
            }
        }
        return body;
    }

    /** A component of a body record marked {@code @JsonProperty(required = true)}, by its JSON name. */
    private record RequiredField(java.lang.reflect.Method accessor, String name, String description) {
    }

    /**
     * The required fields of each body type, found once per type: looking through a record's components and
     * their annotations was a twentieth of a create's time (#10).
     */
    private static final ClassValue<List<RequiredField>> REQUIRED = new ClassValue<>() {
        @Override
        protected List<RequiredField> computeValue(Class<?> type) {
            List<RequiredField> fields = new java.util.ArrayList<>();
            for (RecordComponent c : type.getRecordComponents()) {
                // Jackson's annotations do not target record components: they land on the accessor
                com.fasterxml.jackson.annotation.JsonProperty p = c.getAccessor().getAnnotation(com.fasterxml.jackson.annotation.JsonProperty.class);
                if (p != null && p.required()) {
                    fields.add(new RequiredField(c.getAccessor(), SNAKE.translate(c.getName()),
                            Optional.ofNullable(c.getAccessor().getAnnotation(JsonPropertyDescription.class)).map(d -> ": " + d.value()).orElse("")));
                }
            }
            return List.copyOf(fields);
        }
    };

    private static DomainException translate(JsonProcessingException e, Class<? extends Record> type) {
        if (e.getCause() instanceof DomainException d) {
            return d; // a value the domain refused, e.g. a size of "lots"
        }
        if (e instanceof UnrecognizedPropertyException u) {
            return DomainException.invalid("unknown field '" + ErrorMapping.printable(u.getPropertyName()) + "'; allowed fields are "
                    + Arrays.stream(type.getRecordComponents()).map(c -> SNAKE.translate(c.getName())).sorted().toList());
        }
        if (e instanceof InputCoercionException c) {
            return DomainException.invalid("field '" + ErrorMapping.printable(currentName(c)) + "' is out of range");
        }
        if (e instanceof JsonParseException p) {
            String m = String.valueOf(p.getOriginalMessage());
            if (m.startsWith("Duplicate field")) {
                return DomainException.invalid("duplicate field " + ErrorMapping.printable(m.substring("Duplicate field ".length()))
                        + "; each field may appear once");
            }
            return DomainException.invalid("request body is not valid JSON: " + ErrorMapping.withoutJavaNames(withoutSettings(withoutLocation(m))));
        }
        if (e instanceof MismatchedInputException m) {
            return mismatch(m, type);
        }
        if (e instanceof JsonMappingException m) {
            return DomainException.invalid(field(m).map(f -> "field '" + f + "' is out of range or malformed")
                    .orElse("request body must be a JSON object"));
        }
        return DomainException.invalid("request body is not valid JSON");
    }

    /** Jackson's hints name its parser settings, which a client cannot change: "enable `JsonReadFeature.X` to allow". */
    private static final Pattern PARSER_SETTING = Pattern.compile(
            ":\\s*enable\\s+`?[\\w.]+`?\\s+to allow|\\s*\\([^()]*\\bFeature '\\w+'[^()]*\\)");

    private static String withoutSettings(String m) {
        return PARSER_SETTING.matcher(m).replaceAll("");
    }

    /** Jackson's messages end with where in the source the problem is, which names its own settings. */
    private static String withoutLocation(String m) {
        int source = m.indexOf("[Source");
        if (source < 0) {
            return m;
        }
        int open = m.lastIndexOf(" (", source);
        int at = m.lastIndexOf(" at ", source);
        return m.substring(0, Math.max(0, open >= 0 ? open : at >= 0 ? at : source)).strip();
    }

    private static String currentName(InputCoercionException e) {
        try {
            return e.getProcessor() == null ? "?" : String.valueOf(e.getProcessor().currentName());
        } catch (IOException | RuntimeException unknown) {
            return "?";
        }
    }

    private static DomainException mismatch(MismatchedInputException e, Class<? extends Record> type) {
        String m = String.valueOf(e.getOriginalMessage());
        if (m.startsWith("Trailing token")) {
            return DomainException.invalid("request body must be one JSON object with nothing after it");
        }
        Optional<String> field = field(e);
        if (field.isEmpty() || e.getPath().size() > 1 && e.getPath().get(0).getFieldName() == null) {
            return DomainException.invalid("request body must be a JSON object");
        }
        Optional<RecordComponent> component = component(type, field.get());
        if (m.startsWith("Missing required")) {
            return DomainException.invalid("field '" + field.get() + "' is required"
                    + component.map(c -> c.getAccessor().getAnnotation(JsonPropertyDescription.class)).map(d -> ": " + d.value()).orElse(""));
        }
        return DomainException.invalid("field '" + field.get() + "' must be "
                + component.map(c -> describe(c.getGenericType())).orElse("of another type"));
    }

    /** The top-level field the error is about, as the client wrote it. */
    private static Optional<String> field(JsonMappingException e) {
        List<JsonMappingException.Reference> path = e.getPath();
        return path.isEmpty() ? Optional.empty() : Optional.ofNullable(path.get(0).getFieldName()).map(ErrorMapping::printable);
    }

    private static Optional<RecordComponent> component(Class<? extends Record> type, String field) {
        return Arrays.stream(type.getRecordComponents()).filter(c -> SNAKE.translate(c.getName()).equals(field)).findFirst();
    }

    private static String describe(Type t) {
        if (t instanceof ParameterizedType p && p.getRawType() == Optional.class) {
            return describe(p.getActualTypeArguments()[0]) + " or null";
        }
        if (t == String.class) {
            return "a string";
        }
        if (t == Integer.class || t == int.class || t == Long.class || t == long.class) {
            return "a whole number";
        }
        if (t == Boolean.class || t == boolean.class) {
            return "true or false";
        }
        if (t == Size.class) {
            return "a number of GB or a quantity such as \"1.5T\"";
        }
        return "of another type";
    }

    /** At most {@link #MAX_BODY_BYTES}, whatever Content-Length claims (chunked bodies have none). */
    private static byte[] bytes(Context ctx) {
        long declared = ctx.req().getContentLengthLong();
        if (declared > MAX_BODY_BYTES) {
            throw ErrorMapping.tooLarge();
        }
        try (InputStream in = ctx.req().getInputStream()) {
            byte[] body = in.readNBytes(MAX_BODY_BYTES + 1);
            if (body.length > MAX_BODY_BYTES) {
                throw ErrorMapping.tooLarge();
            }
            return body;
        } catch (IOException e) {
            throw DomainException.invalid("request body could not be read: the client stopped sending it");
        }
    }
}
