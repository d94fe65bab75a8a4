package dsp.kubernetes.crd;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;
import java.util.Map;

/**
 * What a node agent measures on its node, written as JSON into the node's
 * {@code dynamicpools.io/disk-report} annotation: bytes per pool directory, bytes outside them
 * (the system reserve's use), the file system's size and free space, the templates present, and
 * where its peers reach it ({@code peerAddress}, e.g. {@code http://10.0.0.5:8082}: the agent that
 * sends a volume's bytes to another node's agent during a drain), when it serves them.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
public record NodeDiskReport(Map<String, Long> poolBytes, long otherBytes, long filesystemBytes, long filesystemFreeBytes,
                             List<TemplateInfo> templates, String reportedAt, String peerAddress) {

    public NodeDiskReport(Map<String, Long> poolBytes, long otherBytes, long filesystemBytes, long filesystemFreeBytes,
                          List<TemplateInfo> templates, String reportedAt) {
        this(poolBytes, otherBytes, filesystemBytes, filesystemFreeBytes, templates, reportedAt, null);
    }

    @JsonIgnoreProperties(ignoreUnknown = true)
    public record TemplateInfo(String name, String format, long virtualBytes, long fileBytes) {
    }
}
