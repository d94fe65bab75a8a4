package dsp.core.usecase;

import dsp.core.DomainException;
import dsp.core.model.Allocation;
import dsp.core.model.Names;
import dsp.core.port.AllocationStore;
import dsp.core.port.TemplateLibrary;
import dsp.core.vm.Template;
import java.util.List;
import java.util.Optional;

/**
 * Templates: list, import, and delete only when no disk is made from them. Changes to one template
 * (import, optimize, delete) run in turn, so two imports of one name cannot both write it, and an
 * optimize never brings back a template deleted meanwhile. A VM create and a delete of its template
 * meet under the {@link FleetLock}: the delete sees the new disk, or the create sees the template gone.
 */
public final class TemplateService {

    private final OperationOrder order = new OperationOrder();

    private final TemplateLibrary library;
    private final AllocationStore allocations;
    private final FleetLock lock;

    public TemplateService(TemplateLibrary library, AllocationStore allocations, FleetLock lock) {
        this.library = library;
        this.allocations = allocations;
        this.lock = lock;
    }

    public List<Template> list() {
        return library.listTemplates();
    }

    public Template get(String name) {
        Names.require("template", name);
        return library.findTemplate(name).orElseThrow(() -> DomainException.notFound("template '" + name + "' does not exist"));
    }

    /** The servers holding the template, when only some do; empty means any server gets it on demand. */
    public Optional<java.util.Set<String>> serversWith(String name) {
        return library.serversWith(name);
    }

    public Template importTemplate(String name, String sourceFile) {
        return importTemplate(name, sourceFile, dsp.core.operation.Operations.Progress.NONE);
    }

    public Template importTemplate(String name, String sourceFile, dsp.core.operation.Operations.Progress progress) {
        Names.require("template", name);
        if (sourceFile == null || sourceFile.isBlank()) {
            throw DomainException.invalid("a source image file is required");
        }
        return order.on("template:" + name, () -> {
            if (library.findTemplate(name).isPresent()) {
                throw DomainException.conflict("template '" + name + "' already exists");
            }
            return library.importTemplate(name, sourceFile, progress);
        });
    }

    /** Imports a template by URL; on Kubernetes every vm node's agent fetches its own copy. */
    public TemplateLibrary.UrlImport importFromUrl(String name, String url, String sha256) {
        Names.require("template", name);
        dsp.core.vm.TemplateSource source = dsp.core.vm.TemplateSource.parse(url, sha256);
        return order.on("template:" + name, () -> {
            if (library.findTemplate(name).isPresent() || library.imports().stream().anyMatch(i -> i.name().equals(name))) {
                throw DomainException.conflict("template '" + name + "' already exists");
            }
            return library.importFromUrl(name, source);
        });
    }

    public List<TemplateLibrary.UrlImport> imports() {
        return library.imports();
    }

    public TemplateLibrary.Optimized optimize(String name) {
        return optimize(name, dsp.core.operation.Operations.Progress.NONE);
    }

    public TemplateLibrary.Optimized optimize(String name, dsp.core.operation.Operations.Progress progress) {
        get(name);
        return order.on("template:" + name, () -> {
            get(name); // as it is now that it is our turn
            return library.optimizeTemplate(name, progress);
        });
    }

    public void delete(String name) {
        get(name);
        order.run("template:" + name, () -> lock.locked(() -> {
            get(name); // a delete just before ours leaves nothing to delete: 404
            List<Allocation> children = allocations.listAllocations().stream()
                    .filter(a -> a.template().map(name::equals).orElse(false)).toList();
            if (!children.isEmpty()) {
                throw DomainException.conflict("template '" + name + "' has " + children.size()
                        + " disk(s) made from it, e.g. '" + children.get(0).name() + "'; delete them first");
            }
            library.deleteTemplate(name);
            return null;
        }));
    }
}
