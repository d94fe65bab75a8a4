package dsp.api.body;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.JsonDeserializer;
import com.fasterxml.jackson.databind.annotation.JsonDeserialize;
import dsp.core.DomainException;
import dsp.core.model.Quantity;
import java.io.IOException;

/**
 * A size in a request: a number of decimal GB ({@code 50}, as the guide writes it) or a quantity
 * string ({@code "1.5T"}, {@code "100Gi"}; a bare numeric string is GB too). Always positive.
 */
@JsonDeserialize(using = Size.Reader.class)
public record Size(long bytes) {

    static final class Reader extends JsonDeserializer<Size> {
        @Override
        public Size deserialize(JsonParser p, DeserializationContext ctxt) throws IOException {
            String field = p.currentName();
            long bytes;
            if (p.currentToken() == JsonToken.VALUE_NUMBER_INT || p.currentToken() == JsonToken.VALUE_NUMBER_FLOAT) {
                bytes = Quantity.fromGb(p.getDecimalValue().doubleValue());
            } else if (p.currentToken() == JsonToken.VALUE_STRING) {
                bytes = Quantity.parseGbOrQuantity(p.getText());
            } else {
                return (Size) ctxt.handleUnexpectedToken(Size.class, p);
            }
            if (bytes <= 0) {
                throw DomainException.invalid("field '" + field + "' must be positive");
            }
            return new Size(bytes);
        }
    }
}
