package dsp.core.usecase;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dsp.core.DomainException;
import dsp.core.Fleet;
import dsp.core.memory.InMemoryVmStore;
import dsp.core.memory.InMemoryVolumes;
import dsp.core.model.VolumeFormat;
import dsp.core.port.TemplateLibrary;
import dsp.core.vm.CreateVm;
import dsp.core.vm.ServerType;
import dsp.core.vm.Template;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** A template deleted while a VM is being made from it: the create or the delete is refused, never neither. */
class TemplateRacesTest {

    private static final long GB = 1_000_000_000L;

    @Test
    void aTemplateDeletedAfterACreateLookedItUpIsAConflictForTheCreateAndLeavesNothing() {
        Fleet f = new Fleet();
        f.label("vm-1", "vm");
        InMemoryVolumes disks = new InMemoryVolumes().withTemplate(new Template("ubuntu22", VolumeFormat.QCOW2, 10 * GB, 1));
        AtomicReference<TemplateService> templates = new AtomicReference<>();
        AtomicBoolean deleteNow = new AtomicBoolean(true);
        // the create has just found its template when a delete of it runs to the end (no disk uses it yet)
        TemplateLibrary racing = new TemplateLibrary() {
            public List<Template> listTemplates() { return disks.listTemplates(); }
            public Optional<Template> findTemplate(String name) {
                Optional<Template> found = disks.findTemplate(name);
                if (found.isPresent() && deleteNow.getAndSet(false)) {
                    templates.get().delete(name);
                }
                return found;
            }
            public Template importTemplate(String name, String sourceFile) { return disks.importTemplate(name, sourceFile); }
            public void deleteTemplate(String name) { disks.deleteTemplate(name); }
            public Optimized optimizeTemplate(String name) { return disks.optimizeTemplate(name); }
        };
        templates.set(new TemplateService(racing, f.store, new FleetLock()));
        InMemoryVmStore vms = new InMemoryVmStore();
        VmService service = new VmService(f.catalog, "vm", ServerType.HETZNER, f.admission, f.store, vms, disks, racing, f.clock, () -> "1");

        assertThatThrownBy(() -> service.create(new CreateVm("a", Optional.empty(), "ubuntu22", Optional.of("cx11"), Optional.empty(),
                Optional.empty(), Optional.empty(), Optional.empty())))
                .isInstanceOf(DomainException.class)
                .satisfies(e -> assertThat(((DomainException) e).code()).isEqualTo(DomainException.Code.CONFLICT));
        assertThat(disks.findTemplate("ubuntu22")).as("the delete went through").isEmpty();
        assertThat(f.store.listAllocations()).as("no disk of a template that is gone").isEmpty();
        assertThat(vms.listVms()).isEmpty();
    }
}
