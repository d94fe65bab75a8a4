package dsp.config;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.JsonDeserializer;
import com.fasterxml.jackson.databind.annotation.JsonDeserialize;
import dsp.core.model.Quantity;
import java.io.IOException;
import java.util.List;

/**
 * The configuration file exactly as it is written: one record per mapping, one field per key
 * (kebab-case: {@code storage-class}, {@code vm-pool}). A key that is absent is null here and takes
 * its default in {@link PoolConfig}; Jackson refuses unknown keys and values of the wrong type.
 */
record ConfigFile(
        Size reserve,
        ThresholdsEntry thresholds,
        String placement,
        List<PoolEntry> pools,
        String vmPool,
        List<ServerTypeEntry> serverTypes) {

    record ThresholdsEntry(Double warning, Double critical) {
    }

    record PoolEntry(String name, String label, Size share, String storageClass, String path, String reclaimPolicy,
                     Double overcommit) {
    }

    /** Whole numbers only: {@code cpu: 2.5} is refused, never truncated to 2. */
    record ServerTypeEntry(String name, Integer cpu, Integer memory, Integer storage) {
    }

    /** A size: a number of decimal GB ({@code 4000}) or a quantity ({@code 1.5T}, {@code 1397Gi}). */
    @JsonDeserialize(using = Size.Reader.class)
    record Size(long bytes) {

        static final class Reader extends JsonDeserializer<Size> {
            @Override
            public Size deserialize(JsonParser p, DeserializationContext ctxt) throws IOException {
                JsonToken t = p.currentToken();
                if (t == JsonToken.VALUE_NUMBER_INT || t == JsonToken.VALUE_NUMBER_FLOAT) {
                    return new Size(Quantity.fromGb(p.getDecimalValue().doubleValue()));
                }
                if (t == JsonToken.VALUE_STRING) {
                    return new Size(Quantity.parseGbOrQuantity(p.getText()));
                }
                return (Size) ctxt.handleUnexpectedToken(Size.class, p);
            }
        }
    }
}
