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

    void deleteTemplate(String name);

    /** Bytes of a template's file before and after compression. */
    record Optimized(String name, long bytesBefore, long bytesAfter) {
    }

    /**
     * Compresses a qcow2 template in place, verified identical to the guest before it replaces
     * the original (and the servers' copies); disks made from it stay valid.
     */
    Optimized optimizeTemplate(String name);
}
