package dsp.cli.standalone;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Every change request, one JSON line each, appended to {@code <data-dir>/audit.log}. */
final class AuditLog implements Consumer<Map<String, Object>> {

    private static final Logger LOG = LoggerFactory.getLogger("audit");
    private static final ObjectMapper JSON = new ObjectMapper();
    private final Path file;

    AuditLog(Path file) {
        this.file = file;
    }

    @Override
    public synchronized void accept(Map<String, Object> record) {
        try {
            Files.writeString(file, JSON.writeValueAsString(record) + "\n", StandardCharsets.UTF_8,
                    StandardOpenOption.CREATE, StandardOpenOption.APPEND, StandardOpenOption.WRITE);
        } catch (IOException e) {
            LOG.warn("cannot append to {}: {} (record: {})", file, e.getMessage(), record);
        }
    }
}
