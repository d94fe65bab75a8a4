package dsp.api;

import java.io.IOException;

/**
 * Where change requests are recorded. A change is made only after its {@code begin} record is
 * written: when writing fails, the change is refused (the trail fails closed).
 */
@FunctionalInterface
public interface AuditTrail {

    /** One line of the trail. {@code event}: begin (a change is about to run), end (it ran), refused (it never ran). */
    record Entry(String time, String request, String event, String method, String path, Integer status, String remote,
                 String principal) {
    }

    /** Writes the entry durably, or throws. */
    void write(Entry entry) throws IOException;

    AuditTrail NONE = entry -> { };
}
