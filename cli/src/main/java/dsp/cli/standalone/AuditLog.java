package dsp.cli.standalone;

import dsp.api.AuditTrail;
import dsp.json.Json;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Every change request as JSON lines in {@code <data-dir>/audit.log}. A {@code begin} line is forced
 * to disk before the change runs; a line that cannot be written fails the write, and so refuses the
 * change. The lines written after a request ({@code end}, {@code refused}) gate nothing: they are
 * written at once and reach the disk with the next forced line, one sync per change instead of two
 * (a killed process loses none of them, the OS has them; a power cut at most the outcome lines
 * since the last change began, never a change's {@code begin}).
 */
final class AuditLog implements AuditTrail {

    private static final String BEGIN = "begin";

    private final Path file;

    AuditLog(Path file) {
        this.file = file;
    }

    @Override
    public synchronized void write(Entry entry) throws IOException {
        ByteBuffer line = ByteBuffer.wrap((Json.MAPPER.writeValueAsString(entry) + "\n").getBytes(StandardCharsets.UTF_8));
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.APPEND, StandardOpenOption.WRITE)) {
            long before = ch.size();
            try {
                while (line.hasRemaining()) {
                    ch.write(line);
                }
                if (BEGIN.equals(entry.event())) {
                    ch.force(true);
                }
            } catch (IOException e) {
                ch.truncate(before); // never leave half a line for the next one to run into
                throw e;
            }
        }
    }
}
