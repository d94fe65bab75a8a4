package dsp.core.usecase;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dsp.core.DomainException;
import dsp.core.Fleet;
import dsp.core.memory.InMemoryVmStore;
import dsp.core.memory.InMemoryVolumes;
import dsp.core.model.Allocation;
import dsp.core.model.VolumeFormat;
import dsp.core.model.VolumePhase;
import dsp.core.vm.Template;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/** A delete that fails half-way leaves a record saying Deleting, never a record without its data; a retry finishes it. */
class TwoPhaseDeleteTest {

    private static final long GB = 1_000_000_000L;

    /** Removes the data, then fails as a full disk or a crash would, once. */
    private static final class FailingAfterDelete implements dsp.core.port.VolumeMaker {
        final InMemoryVolumes real = new InMemoryVolumes();
        final AtomicBoolean failNext = new AtomicBoolean();

        public String make(Allocation a, Optional<Template> t) { return real.make(a, t); }
        public void grow(Allocation a, long n) { real.grow(a, n); }
        public void delete(Allocation a) {
            real.delete(a);
            if (failNext.getAndSet(false)) {
                throw DomainException.noSpace("No space left on device");
            }
        }
        public boolean exists(Allocation a) { return real.exists(a); }
        public long presentedBytes(Allocation a) { return real.presentedBytes(a); }
        public long measuredBytes(Allocation a) { return real.measuredBytes(a); }
        public String pathOf(Allocation a) { return real.pathOf(a); }
        public int sweepTemporaries() { return 0; }
    }

    @Test
    void aFailedDeleteStaysDeletingAndARetryFinishesIt() {
        Fleet f = new Fleet();
        f.label("k8s-1", "k8s");
        FailingAfterDelete maker = new FailingAfterDelete();
        VolumeService volumes = new VolumeService(f.catalog, f.admission, f.store, maker);
        Allocation a = volumes.create("data", "k8s", 10 * GB, Optional.of(VolumeFormat.DIRECTORY));

        maker.failNext.set(true);
        assertThatThrownBy(() -> volumes.delete(a.id(), true)).isInstanceOf(DomainException.class);
        Allocation left = f.store.findAllocation(a.id()).orElseThrow();
        assertThat(left.phase()).as("the record says what is happening to its data").isEqualTo(VolumePhase.DELETING);

        assertThat(volumes.delete(a.id(), false)).as("a retry finishes the delete, whatever it asks").isEmpty();
        assertThat(f.store.listAllocations()).isEmpty();
        assertThat(maker.exists(a)).isFalse();
    }

    @Test
    void aVmDeleteThatFailsHalfWayIsFinishedAtStartUp() {
        Fleet f = new Fleet();
        f.label("vm-1", "vm");
        FailingAfterDelete maker = new FailingAfterDelete();
        maker.real.withTemplate(new Template("ubuntu22", VolumeFormat.QCOW2, 10 * GB, 1));
        InMemoryVmStore vms = new InMemoryVmStore();
        VmService service = new VmService(f.catalog, "vm", dsp.core.vm.ServerType.HETZNER, f.admission, f.store, vms, maker, maker.real,
                f.clock, () -> "1");
        var vm = service.create(new dsp.core.vm.CreateVm("a", Optional.empty(), "ubuntu22", Optional.of("cx11"), Optional.empty(),
                Optional.empty(), Optional.empty(), Optional.empty()));

        maker.failNext.set(true);
        assertThatThrownBy(() -> service.delete(vm.vm().id(), true)).isInstanceOf(DomainException.class);
        assertThat(f.store.findAllocation(vm.disk().id()).orElseThrow().phase()).isEqualTo(VolumePhase.DELETING);

        StartupReconciler.Report r = new StartupReconciler(f.store, vms, maker, f.admission).reconcile();
        assertThat(r.deleted()).containsExactly(vm.disk().name());
        assertThat(f.store.listAllocations()).isEmpty();
        assertThat(vms.listVms()).isEmpty();
    }
}
