package dsp.kubernetes.crd;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;

/**
 * A node agent's answer to a cleanup request, written as JSON into its Node's
 * {@code dynamicpools.io/cleanup-report} annotation: what it moved to the pools' trash (or, in a
 * dry run, would move), or why it could not clean.
 *
 * @param run the run it answers (the request's run id)
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
public record NodeCleanupReport(String run, boolean dryRun, List<Moved> moved, String error, String finishedAt) {

    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Moved(String pool, String entry, long bytes, String trash) {
    }
}
