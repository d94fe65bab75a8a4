package dsp.core.port;

import dsp.core.vm.Template;
import java.util.List;
import java.util.Optional;

/** The read-only base images VM disks are made from. */
public interface TemplateLibrary {

    List<Template> listTemplates();

    Optional<Template> findTemplate(String name);

    /** Registers a local qcow2 or raw image file under a name (copied, then read-only). */
    Template importTemplate(String name, String sourceFile);

    void deleteTemplate(String name);
}
