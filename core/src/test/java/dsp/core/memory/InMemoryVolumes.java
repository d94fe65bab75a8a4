package dsp.core.memory;

import dsp.core.DomainException;
import dsp.core.model.Allocation;
import dsp.core.model.VolumeFormat;
import dsp.core.port.TemplateLibrary;
import dsp.core.port.VolumeMaker;
import dsp.core.vm.Template;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;

/**
 * Volumes and templates that exist only as records in memory: for testing the API and the use
 * cases without disks. The real engine is the node module's LocalVolumeMaker.
 */
public final class InMemoryVolumes implements VolumeMaker, TemplateLibrary {

    private final Map<String, Long> presented = new ConcurrentHashMap<>();
    private final Map<String, Template> templates = new ConcurrentSkipListMap<>();

    public InMemoryVolumes withTemplate(Template t) {
        templates.put(t.name(), t);
        return this;
    }

    @Override
    public String make(Allocation a, Optional<Template> template) {
        presented.putIfAbsent(a.id(), a.sizeBytes());
        return pathOf(a);
    }

    @Override
    public void grow(Allocation a, long newSizeBytes) {
        presented.put(a.id(), newSizeBytes);
    }

    @Override
    public void delete(Allocation a) {
        presented.remove(a.id());
    }

    @Override
    public boolean exists(Allocation a) {
        return presented.containsKey(a.id());
    }

    @Override
    public long presentedBytes(Allocation a) {
        return presented.getOrDefault(a.id(), 0L);
    }

    @Override
    public long measuredBytes(Allocation a) {
        return 0;
    }

    @Override
    public String pathOf(Allocation a) {
        return "memory://" + a.server() + "/" + a.pool() + "/" + a.name() + (a.format() == VolumeFormat.QCOW2 ? ".qcow2" : "");
    }

    @Override
    public int sweepTemporaries() {
        return 0;
    }

    @Override
    public List<Template> listTemplates() {
        return List.copyOf(templates.values());
    }

    @Override
    public Optional<Template> findTemplate(String name) {
        return Optional.ofNullable(templates.get(name));
    }

    @Override
    public Template importTemplate(String name, String sourceFile) {
        throw DomainException.invalid("this in-memory library cannot import files");
    }

    @Override
    public Optimized optimizeTemplate(String name) {
        Template t = templates.get(name);
        return new Optimized(name, t.fileBytes(), t.fileBytes());
    }

    @Override
    public void deleteTemplate(String name) {
        templates.remove(name);
    }
}
