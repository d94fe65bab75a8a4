package dsp.core.usecase;

import dsp.core.DomainException;
import dsp.core.memory.InMemoryVolumes;
import dsp.core.model.Allocation;
import dsp.core.port.TemplateLibrary;
import dsp.core.port.VolumeMaker;
import dsp.core.vm.Template;
import dsp.core.vm.TemplateSource;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The in-memory volumes and templates with a script: a step can be told to fail once, every call
 * is logged ({@code make data}, {@code grow data 20000000000}, ...), data can be put in a volume's
 * place behind the records' back, and templates can be held by some servers only.
 */
final class ScriptedVolumes implements VolumeMaker, TemplateLibrary {

    final InMemoryVolumes real = new InMemoryVolumes();
    final List<String> calls = Collections.synchronizedList(new ArrayList<>());
    private final Set<String> failing = ConcurrentHashMap.newKeySet();
    private final Set<String> strays = ConcurrentHashMap.newKeySet();
    private final Set<String> madeBeforeAsked = ConcurrentHashMap.newKeySet();
    private final Map<String, Long> measured = new ConcurrentHashMap<>();
    private final Map<String, UrlImport> urlImports = new ConcurrentHashMap<>();
    private Optional<Set<String>> holders = Optional.empty();

    ScriptedVolumes withTemplate(Template t) {
        real.withTemplate(t);
        return this;
    }

    /** The next call of this step (make, grow, delete, import, optimize) fails as a full disk would. */
    void failNext(String step) {
        failing.add(step);
    }

    /** Data no record owns, lying where a volume of this name would go. */
    void stray(String name) {
        strays.add(name);
    }

    /**
     * The volume of this name is made for its own record by someone quicker than the caller (in
     * Kubernetes mode, its node agent): there before it is asked for, but not a stray.
     */
    void madeBeforeAsked(String name) {
        madeBeforeAsked.add(name);
    }

    void measure(Allocation a, long bytes) {
        measured.put(a.id(), bytes);
    }

    /** Only these servers hold the templates. */
    void heldOnlyBy(Set<String> servers) {
        holders = Optional.of(Set.copyOf(servers));
    }

    private void step(String step, String what) {
        calls.add(step + " " + what);
        if (failing.remove(step)) {
            throw DomainException.noSpace(step + " " + what + ": No space left on device");
        }
    }

    @Override
    public String make(Allocation a, Optional<Template> template) {
        step("make", a.name() + template.map(t -> " from " + t.name()).orElse(""));
        return real.make(a, template);
    }

    @Override
    public void grow(Allocation a, long newSizeBytes) {
        step("grow", a.name() + " " + newSizeBytes);
        real.grow(a, newSizeBytes);
    }

    @Override
    public void delete(Allocation a) {
        step("delete", a.name());
        real.delete(a);
    }

    @Override
    public boolean exists(Allocation a) {
        return strays.contains(a.name()) || madeBeforeAsked.contains(a.name()) || real.exists(a);
    }

    @Override
    public boolean placeTaken(Allocation pending) {
        return strays.contains(pending.name()) || real.exists(pending);
    }

    @Override
    public long presentedBytes(Allocation a) {
        return real.presentedBytes(a);
    }

    @Override
    public long measuredBytes(Allocation a) {
        return measured.getOrDefault(a.id(), 0L);
    }

    @Override
    public String pathOf(Allocation a) {
        return real.pathOf(a);
    }

    @Override
    public int sweepTemporaries() {
        return 0;
    }

    @Override
    public List<Template> listTemplates() {
        return real.listTemplates();
    }

    @Override
    public Optional<Template> findTemplate(String name) {
        return real.findTemplate(name);
    }

    @Override
    public Optional<Set<String>> serversWith(String name) {
        return holders;
    }

    @Override
    public Template importTemplate(String name, String sourceFile) {
        step("import", name + " " + sourceFile);
        Template t = new Template(name, dsp.core.model.VolumeFormat.QCOW2, 10_000_000_000L, 1_000_000_000L);
        real.withTemplate(t);
        return t;
    }

    @Override
    public UrlImport importFromUrl(String name, TemplateSource source) {
        step("import-url", name + " " + source.url());
        UrlImport i = new UrlImport(name, source.url(), source.sha256(), false, Map.of());
        urlImports.put(name, i);
        return i;
    }

    @Override
    public List<UrlImport> imports() {
        return List.copyOf(urlImports.values());
    }

    @Override
    public void deleteTemplate(String name) {
        step("delete-template", name);
        real.deleteTemplate(name);
    }

    @Override
    public Optimized optimizeTemplate(String name) {
        step("optimize", name);
        return new Optimized(name, 1000, 400);
    }
}
