package dsp.kubernetes.crd;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;
import java.util.Map;

/**
 * What a node agent measures on its node, written as JSON into the node's
 * {@code dynamicpools.io/disk-report} annotation: bytes per pool directory, bytes outside them
 * (the system reserve's use), the file system's size and free space, and the templates present.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
public record NodeDiskReport(Map<String, Long> poolBytes, long otherBytes, long filesystemBytes, long filesystemFreeBytes,
                             List<TemplateInfo> templates, String reportedAt) {

    @JsonIgnoreProperties(ignoreUnknown = true)
    public record TemplateInfo(String name, String format, long virtualBytes, long fileBytes) {
    }
}
