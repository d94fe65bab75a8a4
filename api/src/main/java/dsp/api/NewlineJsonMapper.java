package dsp.api;

import io.javalin.json.JsonMapper;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.io.SequenceInputStream;
import java.lang.reflect.Type;

/** JSON answers end with a newline, so {@code curl} leaves the shell prompt on a line of its own. */
final class NewlineJsonMapper implements JsonMapper {

    private final JsonMapper delegate;

    NewlineJsonMapper(JsonMapper delegate) {
        this.delegate = delegate;
    }

    @Override
    public String toJsonString(Object obj, Type type) {
        return delegate.toJsonString(obj, type) + "\n";
    }

    @Override
    public InputStream toJsonStream(Object obj, Type type) {
        return new SequenceInputStream(delegate.toJsonStream(obj, type), new ByteArrayInputStream(new byte[] {'\n'}));
    }

    @Override
    public <T> T fromJsonString(String json, Type targetType) {
        return delegate.fromJsonString(json, targetType);
    }

    @Override
    public <T> T fromJsonStream(InputStream json, Type targetType) {
        return delegate.fromJsonStream(json, targetType);
    }
}
