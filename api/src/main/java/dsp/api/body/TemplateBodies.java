package dsp.api.body;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import dsp.json.Json;
import dsp.core.port.TemplateLibrary;
import dsp.core.vm.Template;
import java.math.BigDecimal;
import java.util.List;

/** Templates: the read-only images VM disks are made from. */
public final class TemplateBodies {

    private TemplateBodies() {
    }

    /** {@code source}: a file in the server's import directory; or {@code url} and {@code sha256}: fetched by URL. */
    public record Import(@JsonProperty(required = true) @JsonPropertyDescription("the template's name") String name,
                         @JsonPropertyDescription("the image's file name in the server's import directory") String source,
                         @JsonPropertyDescription("an http or https URL to fetch the image from") String url,
                         @JsonPropertyDescription("the image's SHA-256 as 64 hex digits, required with url") String sha256) {
    }

    /** An import by URL and each vm server's progress (Pending, Downloading, Ready or Failed: why). */
    public record UrlImportView(String name, String url, String sha256, boolean ready, java.util.Map<String, String> servers) {

        public static UrlImportView of(TemplateLibrary.UrlImport i) {
            return new UrlImportView(i.name(), i.url(), i.sha256(), i.ready(), i.servers());
        }
    }

    public record TemplateView(String name, String format, BigDecimal virtualSizeGb, BigDecimal fileSizeGb, long children) {

        public static TemplateView of(Template t, long children) {
            return new TemplateView(t.name(), t.format().display(), Json.gb(t.virtualBytes()), Json.gb(t.fileBytes()), children);
        }
    }

    /** @param imports imports by URL (Kubernetes mode), ready or still on their way to the vm nodes */
    public record Templates(List<TemplateView> templates, List<UrlImportView> imports) {
    }

    public record Optimized(String name, long bytesBefore, long bytesAfter, long savedBytes) {

        public static Optimized of(TemplateLibrary.Optimized o) {
            return new Optimized(o.name(), o.bytesBefore(), o.bytesAfter(), o.bytesBefore() - o.bytesAfter());
        }
    }
}
