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

    /** {@code source}: a file in the server's import directory. */
    public record Import(@JsonProperty(required = true) @JsonPropertyDescription("the template's name") String name,
                         @JsonProperty(required = true)
                         @JsonPropertyDescription("the image's file name in the server's import directory") String source) {
    }

    public record TemplateView(String name, String format, BigDecimal virtualSizeGb, BigDecimal fileSizeGb, long children) {

        public static TemplateView of(Template t, long children) {
            return new TemplateView(t.name(), t.format().display(), Json.gb(t.virtualBytes()), Json.gb(t.fileBytes()), children);
        }
    }

    public record Templates(List<TemplateView> templates) {
    }

    public record Optimized(String name, long bytesBefore, long bytesAfter, long savedBytes) {

        public static Optimized of(TemplateLibrary.Optimized o) {
            return new Optimized(o.name(), o.bytesBefore(), o.bytesAfter(), o.bytesBefore() - o.bytesAfter());
        }
    }
}
