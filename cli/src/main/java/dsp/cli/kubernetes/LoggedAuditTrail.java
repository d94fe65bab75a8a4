package dsp.cli.kubernetes;

import com.fasterxml.jackson.core.JsonProcessingException;
import dsp.api.AuditTrail;
import dsp.json.Json;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Kubernetes mode's audit trail: each change request as one JSON line on the {@code audit} logger,
 * which the container runtime keeps with the pod's log (the pods have no data dir of their own).
 */
final class LoggedAuditTrail implements AuditTrail {

    private static final Logger AUDIT = LoggerFactory.getLogger("audit");

    @Override
    public void write(Entry entry) {
        try {
            AUDIT.info(Json.MAPPER.writeValueAsString(entry));
        } catch (JsonProcessingException e) {
            AUDIT.info("{}", entry);
        }
    }
}
