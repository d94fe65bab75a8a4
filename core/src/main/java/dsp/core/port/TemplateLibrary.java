package dsp.core.port;

import dsp.core.vm.Template;
import java.util.List;
import java.util.Optional;

/** The read-only base images VM disks are made from. */
public interface TemplateLibrary {

    List<Template> listTemplates();

    Optional<Template> findTemplate(String name);

    /** The servers that hold this template, when only some do; empty means any server can get it. */
    default Optional<java.util.Set<String>> serversWith(String name) {
        return Optional.empty();
    }

    /** Registers a local qcow2 or raw image file under a name (copied, then read-only). */
    Template importTemplate(String name, String sourceFile);

    /**
     * An import by URL and how far it got: {@code ready} once every server that needs the template
     * holds it; {@code servers} says per server Downloading, Ready or Failed (with why).
     */
    record UrlImport(String name, String url, String sha256, boolean ready, java.util.Map<String, String> servers) {
    }

    /**
     * Fetches an image by URL (checked against its SHA-256, bounded in size, with the same image
     * rules as a local import) and registers it under a name; a library that fetches in the
     * background answers before it is ready.
     */
    default UrlImport importFromUrl(String name, dsp.core.vm.TemplateSource source) {
        throw dsp.core.DomainException.invalid("this template library cannot import by URL");
    }

    /** Imports by URL the library knows of, ready or not. */
    default List<UrlImport> imports() {
        return List.of();
    }

    /** A local import that says how many bytes are copied as it goes (a multi-GB image takes a while). */
    default Template importTemplate(String name, String sourceFile, dsp.core.operation.Operations.Progress progress) {
        return importTemplate(name, sourceFile);
    }

    void deleteTemplate(String name);

    /** Bytes of a template's file before and after compression. */
    record Optimized(String name, long bytesBefore, long bytesAfter) {
    }

    /**
     * Compresses a qcow2 template in place, verified identical to the guest before it replaces
     * the original (and the servers' copies); disks made from it stay valid.
     */
    Optimized optimizeTemplate(String name);

    /** The same, saying how far compression and verification got (a multi-GB template takes a minute). */
    default Optimized optimizeTemplate(String name, dsp.core.operation.Operations.Progress progress) {
        return optimizeTemplate(name);
    }
}
