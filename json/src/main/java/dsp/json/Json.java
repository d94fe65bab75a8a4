package dsp.json;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dsp.core.model.Quantity;
import java.math.BigDecimal;
import java.math.RoundingMode;

/** One ObjectMapper for the API, and the number forms the guide's JSON uses. */
public final class Json {

    public static final ObjectMapper MAPPER = new ObjectMapper()
            .enable(JsonGenerator.Feature.WRITE_BIGDECIMAL_AS_PLAIN)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .disable(SerializationFeature.FAIL_ON_EMPTY_BEANS);

    private Json() {
    }

    /** Bytes as decimal GB: whole numbers print as integers (4500), others with two places (0.01). */
    public static BigDecimal gb(long bytes) {
        return number(Quantity.toGb(bytes));
    }

    /** A percentage or GB figure: 26.67, or 0 and 100 without a trailing ".0". */
    public static BigDecimal number(double value) {
        BigDecimal d = BigDecimal.valueOf(value).setScale(2, RoundingMode.HALF_UP).stripTrailingZeros();
        return d.scale() < 0 ? d.setScale(0) : d;
    }
}
